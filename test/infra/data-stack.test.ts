import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

let synth: SynthesizedPipeWeave;
let data: Template;

beforeAll(() => {
  synth = synthPipeWeave();
  data = synth.template('data');
});

describe('database', () => {
  it('is Aurora PostgreSQL 16 Serverless v2 that can pause, with the Data API and encrypted storage', () => {
    data.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^16\\.'),
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: 0 }),
      MasterUserPassword: Match.anyValue(),
    });
    data.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
    data.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    data.resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('migrates on deploy through a custom resource that changes when shared/db changes', () => {
    data.hasResourceProperties('Custom::PipeWeaveDatabaseMigrations', {
      MigrationsHash: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
    });
  });
});

describe('network', () => {
  it('has two AZs of isolated subnets, no NAT gateway and no internet gateway', () => {
    data.resourceCountIs('AWS::EC2::NatGateway', 0);
    data.resourceCountIs('AWS::EC2::InternetGateway', 0);
    data.resourceCountIs('AWS::EC2::Subnet', 4);
  });

  it('reaches S3 through a gateway endpoint and ECR, logs, Step Functions and the Data API through interface endpoints', () => {
    data.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
    const interfaces = Object.values(
      data.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    ).map((endpoint) =>
      JSON.stringify((endpoint as { Properties: { ServiceName: unknown } }).Properties.ServiceName),
    );
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'states', 'rds-data']) {
      expect(interfaces.some((name) => name.includes(`.${service}`))).toBe(true);
    }
    expect(interfaces).toHaveLength(5);
  });
});

describe('data bucket', () => {
  it('is encrypted, versioned, private, TLS-only and logs access to a separate bucket', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'data-bucket/' },
    });
    data.resourceCountIs('AWS::S3::Bucket', 2);
    const policies = Object.values(data.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('cleans up with lifecycle rules and tiers raw uploads', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 30 }),
          Match.objectLike({ Prefix: 'staging/', ExpirationInDays: 2 }),
          Match.objectLike({
            Prefix: 'raw/',
            Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 }],
          }),
        ]),
      },
    });
  });

  it('accepts presigned POST uploads from browsers', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({ AllowedMethods: Match.arrayWith(['POST', 'GET']), AllowedOrigins: ['*'] }),
        ],
      },
    });
  });
});
