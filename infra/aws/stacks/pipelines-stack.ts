import { Aws, Duration, Fn, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { CfnCluster } from 'aws-cdk-lib/aws-ecs';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { grantDataApi, grantObjects, type DataApiTarget, type ObjectAccess } from '../constructs/access';
import { NODE_COMPUTE } from '../../../shared/domain/billing/compute-cost';
import { ALERT_TOPIC_PREFIX } from '../../../shared/domain/monitoring/alert-rule-definition';
import { DuckDbLayer, MediaLayer } from '../constructs/native-modules-layer';
import { PipeWeaveFunction } from '../constructs/pipeweave-function';
import { dataApiEnvironment, environment } from '../function-environment';
import type { ResourceNames } from '../naming';
import { projectRoot, requireProjectFile } from '../project-paths';

export const NODE_RUNNER_ENTRY = 'functions/pipeline/node-runner/handler.ts';
export const PIPELINE_CONTROL_ENTRY = 'functions/pipeline/pipeline-control/handler.ts';
export const FARGATE_ENTRYPOINT = 'functions/pipeline/fargate-node/handler.ts';
export const RUN_PIPELINE_ASL = 'statemachines/run-pipeline.asl.json';
export const NODE_CONTAINER_NAME = 'node';
/**
 * An action runs up to two transactions, and the Data API may keep retrying a resuming cluster
 * for up to 45 s per call. The control Tasks of the ASL wait longer than this (TimeoutSeconds
 * 200), so a slow call ends as a retried `Sandbox.Timedout`, not as the Task's own timeout.
 */
export const PIPELINE_CONTROL_TIMEOUT = Duration.minutes(3);
/** The state machine's name in PW_STATE_MACHINE_ARNS. */
export const RUN_PIPELINE_MACHINE = 'run-pipeline';
/**
 * What a pipeline node may touch, on Lambda and on Fargate alike: every output goes under its
 * job's prefix (`objectKeys.jobNodeOutput`); dataset versions are read (or copied) from processed/;
 * an output registered as a dataset version is copied to that version's raw/ key, whose arrival
 * ingests it; a training node writes the model artifact it registers under models/.
 */
export const NODE_OBJECT_ACCESS: ObjectAccess = {
  read: ['jobs/', 'processed/', 'models/', 'exports/'],
  write: ['jobs/', 'raw/', 'models/'],
};

export interface PipelinesStackProps extends StackProps {
  names: ResourceNames;
  database: DataApiTarget & { name: string };
  vpc: IVpc;
  nodeSubnets: ISubnet[];
  nodeSecurityGroup: ISecurityGroup;
}

/**
 * Pipeline runs: the `run-pipeline` state machine (the ASL file in statemachines/, deployed as
 * is with its placeholders substituted), the control function it calls between stages, and the
 * two hosts of a node: the node-runner Lambda and a Fargate task for nodes that outgrow it.
 */
export class PipelinesStack extends Stack {
  readonly nodeRunner: PipeWeaveFunction;
  readonly pipelineControl: PipeWeaveFunction;
  readonly cluster: Cluster;
  readonly nodeTask: FargateTaskDefinition;
  readonly stateMachine: StateMachine;
  readonly definitionSubstitutions: Record<string, string>;

  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, props);
    const { names, database } = props;
    const databaseEnv = dataApiEnvironment(database);
    const nodeEnv = environment(databaseEnv, { PW_BUCKET: names.dataBucketName });
    const nodeAccessReason = 'pipeline node: reads inputs and writes outputs of its job';

    const duckDb = new DuckDbLayer(this, 'DuckDb');
    this.nodeRunner = new PipeWeaveFunction(this, 'NodeRunner', {
      entry: NODE_RUNNER_ENTRY,
      description: 'Runs one pipeline node (transform, train, evaluate, export, analyze) on Lambda',
      // What a node is billed for (billing/compute-cost.ts) is what it runs on.
      memorySize: NODE_COMPUTE.lambda.memoryMb,
      timeout: Duration.minutes(15),
      // Inputs, outputs and DuckDB's spill of a node working on large tables: all /tmp Lambda has.
      ephemeralStorageSize: Size.gibibytes(10),
      environment: nodeEnv,
      layers: [duckDb.layer, new MediaLayer(this, 'Media').layer],
    });
    grantDataApi(this.nodeRunner.role, database);
    grantObjects(this.nodeRunner.role, names, NODE_OBJECT_ACCESS, nodeAccessReason);

    this.pipelineControl = new PipeWeaveFunction(this, 'PipelineControl', {
      entry: PIPELINE_CONTROL_ENTRY,
      description: 'Plans stages, records node status and progress, settles credits of a pipeline run',
      memorySize: 512,
      timeout: PIPELINE_CONTROL_TIMEOUT,
      environment: databaseEnv,
    });
    grantDataApi(this.pipelineControl.role, database);

    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    const nodeLogs = new LogGroup(this, 'NodeTaskLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.nodeTask = new FargateTaskDefinition(this, 'NodeTask', {
      cpu: NODE_COMPUTE.fargate.vcpu * 1024,
      memoryLimitMiB: NODE_COMPUTE.fargate.memoryMb,
      ephemeralStorageGiB: 50,
      // Same reason as the Lambda functions: DuckDB 1.5.6 ships no linux-arm64 binding.
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.X86_64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    requireProjectFile(FARGATE_ENTRYPOINT, 'Fargate node container entrypoint');
    const container = this.nodeTask.addContainer('Node', {
      containerName: NODE_CONTAINER_NAME,
      // Staged at synth (the build context is copied into cdk.out), built and pushed at deploy.
      image: ContainerImage.fromAsset(projectRoot, {
        file: 'Dockerfile',
        platform: Platform.LINUX_AMD64,
      }),
      logging: LogDrivers.awsLogs({ streamPrefix: 'node', logGroup: nodeLogs }),
      environment: { ...nodeEnv, PW_RUNTIME: 'aws', POWERTOOLS_SERVICE_NAME: 'pipeweave' },
    });
    Validations.of(this.nodeTask).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment holds only resource names and ARNs (bucket, cluster, secret ARN), no secret values.',
    });
    void container;
    Validations.of(this.nodeTask.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, needed to pull the node image, only accepts "*"; image pulls are limited to the asset repository.',
    });
    grantDataApi(this.nodeTask.taskRole, database);
    grantObjects(this.nodeTask.taskRole, names, NODE_OBJECT_ACCESS, nodeAccessReason);
    // The monitoring node raises alerts; a rule's SNS action publishes to a topic of this account.
    for (const role of [this.nodeRunner.role, this.nodeTask.taskRole]) grantAlertTopics(role);

    const definitionLogs = new LogGroup(this, 'RunPipelineLogs', {
      // Step Functions log delivery under /aws/vendedlogs/ keeps the account's log resource policy small.
      logGroupName: `/aws/vendedlogs/states/${names.prefix}-run-pipeline`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.definitionSubstitutions = {
      PipelineControlFunctionArn: this.pipelineControl.function.functionArn,
      NodeRunnerFunctionArn: this.nodeRunner.function.functionArn,
      ClusterArn: this.cluster.clusterArn,
      NodeTaskDefinitionArn: this.nodeTask.taskDefinitionArn,
      NodeContainerName: NODE_CONTAINER_NAME,
      SubnetIds: Fn.join(
        ',',
        props.nodeSubnets.map((subnet) => subnet.subnetId),
      ),
      SecurityGroupIds: props.nodeSecurityGroup.securityGroupId,
    };
    this.stateMachine = new StateMachine(this, 'RunPipeline', {
      stateMachineName: names.runPipelineStateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(
        requireProjectFile(RUN_PIPELINE_ASL, 'run-pipeline state machine'),
      ),
      definitionSubstitutions: this.definitionSubstitutions,
      logs: { destination: definitionLogs, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    // The definition is a file, so CDK cannot infer what it calls: every permission is listed here.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.pipelineControl.function.functionArn, this.nodeRunner.function.functionArn],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [this.nodeTask.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [
          `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${this.cluster.clusterName}/*`,
        ],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.nodeTask.taskRole.roleArn, this.nodeTask.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    // A node on Fargate reports back with the task token it was started with.
    this.stateMachine.grantTaskResponse(this.nodeTask.taskRole);

    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${this.getLogicalId(this.cluster.node.defaultChild as CfnCluster)}>/*]`,
        reason:
          'Task ids are assigned by ECS at RunTask; DescribeTasks and StopTask are limited to tasks of the node cluster.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the CloudWatch Logs delivery actions and X-Ray writes that Step Functions logging and tracing require, which support no resource-level permissions.',
      },
    );
  }
}

/**
 * Publish, and nothing else, to the SNS topics alert rules may name: those of this account and
 * region whose names start with ALERT_TOPIC_PREFIX (rules are validated against the same prefix).
 */
export function alertTopicsArn(): string {
  return `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:${ALERT_TOPIC_PREFIX}*`;
}

function grantAlertTopics(role: IRole): void {
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [alertTopicsArn()] }));
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:${ALERT_TOPIC_PREFIX}*]`,
    reason:
      'Alert rules name their own topics; publishing is limited to topics of this account and region named with the alert prefix.',
  });
}
