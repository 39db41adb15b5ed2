import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
} from 'aws-cdk-lib/aws-rds';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DatabaseMigrations } from '../constructs/database-migrations';
import type { ResourceNames } from '../naming';

export const DATABASE_NAME = 'pipeweave';
export const DATABASE_SUBNETS = 'Database';
export const NODE_SUBNETS = 'Nodes';

export interface DataStackProps extends StackProps {
  names: ResourceNames;
  /** Origins allowed to POST presigned uploads from a browser. */
  corsOrigins: string[];
  /** Aurora Serverless v2 ceiling in ACUs. */
  maxCapacity: number;
  /**
   * Interface endpoints in every AZ instead of one. One AZ halves their idle cost; tasks in the
   * other AZ reach them across AZs and lose them if that AZ fails.
   */
  endpointsInEveryAz: boolean;
}

/**
 * Network, database and object storage: the state every other stack reads.
 *
 * Network: two AZs, no public subnets and no NAT gateway. Nothing here needs the internet: Lambda
 * functions run outside the VPC (they reach Aurora through the Data API's HTTPS endpoint) and the
 * only VPC workload, the Fargate node task, reaches AWS through endpoints: S3 as a gateway
 * endpoint (free) and ECR (image pull), CloudWatch Logs, Step Functions (task tokens) and the RDS
 * Data API as interface endpoints. That costs less idle than a NAT gateway plus its per-GB
 * charge, and a node task running user parameters has no route to the internet at all.
 */
export class DataStack extends Stack {
  readonly vpc: Vpc;
  readonly nodeSecurityGroup: SecurityGroup;
  readonly cluster: DatabaseCluster;
  readonly clusterArn: string;
  readonly secretArn: string;
  readonly databaseName = DATABASE_NAME;
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly migrations: DatabaseMigrations;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: DATABASE_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        { name: NODE_SUBNETS, subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
    });
    // Only rejected flows: enough to investigate blocked traffic, next to nothing when idle.
    this.vpc.addFlowLog('RejectedFlows', {
      trafficType: FlowLogTrafficType.REJECT,
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });

    this.nodeSecurityGroup = new SecurityGroup(this, 'NodeTasks', {
      vpc: this.vpc,
      description: 'Fargate pipeline node tasks: no inbound, HTTPS out to VPC endpoints only',
      allowAllOutbound: false,
    });
    const endpointSecurityGroup = new SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from node tasks',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(this.nodeSecurityGroup, Port.tcp(443), 'HTTPS from node tasks');

    this.vpc.addGatewayEndpoint('S3', {
      service: GatewayVpcEndpointAwsService.S3,
      subnets: [{ subnetGroupName: NODE_SUBNETS }],
    });
    // The node subnets have no route to the internet, so HTTPS "anywhere" reaches only the S3
    // gateway endpoint (whose regional prefix list id would need an account lookup to name).
    this.nodeSecurityGroup.addEgressRule(
      Peer.anyIpv4(),
      Port.tcp(443),
      'HTTPS to the S3 gateway endpoint; the subnets have no internet route',
    );

    const nodeSubnets = this.vpc.selectSubnets({ subnetGroupName: NODE_SUBNETS }).subnets;
    const firstNodeSubnet = nodeSubnets[0];
    if (!firstNodeSubnet) throw new Error('The VPC has no node subnets.');
    const endpointSubnets = props.endpointsInEveryAz
      ? { subnets: nodeSubnets }
      : { subnets: [firstNodeSubnet] };
    const interfaceEndpoints: Record<string, InterfaceVpcEndpointAwsService> = {
      EcrApi: InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      StepFunctions: InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      RdsData: InterfaceVpcEndpointAwsService.RDS_DATA,
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: endpointSubnets,
        securityGroups: [endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }

    const databaseSecurityGroup = new SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'Aurora: no inbound rules; every query arrives through the RDS Data API',
      allowAllOutbound: false,
    });

    this.cluster = new DatabaseCluster(this, 'Database', {
      engine: DatabaseClusterEngine.auroraPostgres({ version: AuroraPostgresEngineVersion.VER_16_13 }),
      writer: ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true }),
      // 0 ACU lets the cluster pause after the idle period (Aurora PostgreSQL 16.3+ supports
      // auto-pause); the first query after a pause waits for resume, which the Data API adapter retries.
      serverlessV2MinCapacity: 0,
      serverlessV2MaxCapacity: props.maxCapacity,
      serverlessV2AutoPauseDuration: Duration.minutes(5),
      vpc: this.vpc,
      vpcSubnets: { subnetGroupName: DATABASE_SUBNETS },
      securityGroups: [databaseSecurityGroup],
      credentials: Credentials.fromGeneratedSecret('pipeweave_admin'),
      defaultDatabaseName: DATABASE_NAME,
      enableDataApi: true,
      iamAuthentication: true,
      storageEncrypted: true,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      backup: { retention: Duration.days(7), preferredWindow: '03:00-04:00' },
      preferredMaintenanceWindow: 'Sun:04:30-Sun:05:30',
      copyTagsToSnapshot: true,
    });
    const secret = this.cluster.secret;
    if (!secret) throw new Error('The Aurora cluster was created without a credentials secret.');
    this.clusterArn = this.cluster.clusterArn;
    this.secretArn = secret.secretArn;

    Validations.of(this.cluster).acknowledge(
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'No client connects to a port: the security group has no inbound rules and all queries use the Data API.',
      },
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The Data API reads this secret; single-user rotation needs an in-VPC rotation function and a Secrets Manager endpoint, which this no-NAT VPC does not carry yet. IAM authentication is enabled for interactive access.',
      },
    );

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      // Server access log delivery only supports SSE-S3 on the target bucket.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access log destination; logging it to itself would recurse.',
    });

    this.bucket = new Bucket(this, 'Data', {
      bucketName: props.names.dataBucketName,
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data-bucket/',
      cors: [
        {
          // Browsers upload with a presigned POST and download with presigned GETs.
          allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: props.corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'expire-quarantine', prefix: 'quarantine/', expiration: Duration.days(30) },
        // A refresh deletes its staged file when done; one left by a crashed run goes here.
        { id: 'expire-refresh-staging', prefix: 'staging/', expiration: Duration.days(2) },
        {
          // Raw uploads are read once by ingestion and rarely after; let S3 move them to cheaper tiers.
          id: 'raw-to-intelligent-tiering',
          prefix: 'raw/',
          transitions: [
            { storageClass: StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(0) },
          ],
        },
      ],
    });

    this.migrations = new DatabaseMigrations(this, 'DatabaseMigrations', {
      database: { clusterArn: this.clusterArn, secretArn: this.secretArn, name: DATABASE_NAME },
      dependsOn: [this.cluster],
    });
  }
}
