import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsServices, loadAwsServices } from '../../../../../shared/adapters/aws/aws-services';
import { ConfigError, loadConfig } from '../../../../../shared/config/config';

const rds = mockClient(RDSDataClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);

const fullEnv = {
  AWS_REGION: 'eu-west-1',
  PW_DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:pipeweave',
  PW_DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
  PW_BUCKET: 'pipeweave-data',
  PW_STATE_MACHINE_ARNS: JSON.stringify({
    'run-pipeline': 'arn:aws:states:eu-west-1:123456789012:stateMachine:run',
  }),
};

afterEach(() => {
  rds.reset();
  s3.reset();
  sfn.reset();
});

describe('createAwsServices', () => {
  it('starts without queue or scheduler settings and fails only when they are used, naming the variable', () => {
    const services = createAwsServices(loadConfig({ AWS_REGION: 'eu-west-1', PW_BUCKET: 'pipeweave-data' }));

    expect(services.blobs.bucket).toBe('pipeweave-data');
    expect(() => services.queues).toThrow(ConfigError);
    expect(() => services.queues).toThrow(/PW_QUEUE_URLS/);
    expect(() => services.scheduler).toThrow(/PW_SCHEDULER_GROUP/);
    expect(() => services.db).toThrow(/PW_DB_CLUSTER_ARN/);
    expect(services.health.map((h) => h.name)).toEqual(['storage']);
  });

  it('builds each adapter once', () => {
    const services = createAwsServices(loadConfig(fullEnv));
    expect(services.db).toBe(services.db);
    expect(services.blobs).toBe(services.blobs);
    expect(services.orchestrator).toBe(services.orchestrator);
  });

  it('reports database version, bucket and state machines in its health checks, and a safe reason when down', async () => {
    rds.on(ExecuteStatementCommand).resolves({
      $metadata: {},
      columnMetadata: [{ name: 'version', label: 'version', typeName: 'text' }],
      records: [[{ stringValue: '16.6' }]],
    });
    s3.on(HeadBucketCommand).rejects(
      Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }),
    );
    sfn.on(DescribeStateMachineCommand).resolves({
      status: 'ACTIVE',
      stateMachineArn: 'arn',
      name: 'run',
      definition: '{}',
      roleArn: 'r',
      type: 'STANDARD',
      creationDate: new Date(),
    });
    const services = createAwsServices(loadConfig(fullEnv));

    const reports = Object.fromEntries(
      await Promise.all(services.health.map(async (h) => [h.name, await h.check()] as const)),
    );

    expect(reports.database).toMatchObject({ status: 'up', detail: 'postgres 16.6' });
    expect(reports.storage).toMatchObject({ status: 'down', detail: 'Forbidden' });
    expect(reports.orchestrator).toMatchObject({ status: 'up', detail: '1 state machine active' });
    expect(rds.commandCalls(ExecuteStatementCommand)[0]?.args[0].input).toMatchObject({
      resourceArn: fullEnv.PW_DB_CLUSTER_ARN,
      secretArn: fullEnv.PW_DB_SECRET_ARN,
      database: 'pipeweave',
    });
    expect(s3.commandCalls(HeadBucketCommand)[0]?.args[0].input).toEqual({ Bucket: 'pipeweave-data' });
  });

  it('uses the PostgreSQL driver only when loaded for PW_DB_DRIVER=postgres', async () => {
    const env = {
      AWS_REGION: 'eu-west-1',
      PW_DB_DRIVER: 'postgres',
      PW_DATABASE_URL: 'postgres://pipeweave@127.0.0.1:1/pipeweave',
    };
    expect(() => createAwsServices(loadConfig(env)).db).toThrow(/loadAwsServices/);

    const services = await loadAwsServices(loadConfig(env));
    // A pool that has not connected yet: building it makes no connection.
    expect(typeof services.db.selectFrom).toBe('function');
    await services.db.destroy();
  });

  it('loads nothing more for the Data API', async () => {
    const services = await loadAwsServices(loadConfig(fullEnv));
    expect(services.db).toBe(services.db);
    expect(services.health.map((h) => h.name)).toContain('database');
  });
});
