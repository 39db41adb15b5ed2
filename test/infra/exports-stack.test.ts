import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { objectsArn, resourceNames } from '../../infra/aws/naming';
import { NODE_COMPUTE } from '../../shared/domain/billing/compute-cost';
import { EXPORT_MAX_RECEIVE_COUNT } from '../../shared/domain/exports/export-worker';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../../shared/domain/exports/run-export';
import { EXPORT_QUIET_AFTER_MS } from '../../shared/domain/exports/sweep-exports';
import { permission, rolePermissions } from './iam-permissions';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

let synth: SynthesizedPipeWeave;
let template: Template;
let stack: Stack;

beforeAll(() => {
  synth = synthPipeWeave();
  template = synth.template('exports');
  stack = synth.stacks.exports;
});

const logicalId = (construct: { node: { defaultChild: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnQueue);

interface FunctionResource {
  Properties: {
    MemorySize: number;
    Timeout: number;
    Layers?: unknown[];
    EphemeralStorage?: { Size: number };
    Environment: { Variables: Record<string, unknown> };
  };
}

function functionOf(fn: { function: { node: { defaultChild: unknown } } }): FunctionResource {
  const id = stack.getLogicalId(fn.function.node.defaultChild as CfnFunction);
  return template.findResources('AWS::Lambda::Function')[id] as FunctionResource;
}

describe('exports stack', () => {
  it('has an encrypted queue whose every attempt fits in the time a message lives, and a DLQ after the last', () => {
    const { queue, deadLetterQueue } = synth.stacks.exports;
    const main = template.findResources('AWS::SQS::Queue')[logicalId(queue)] as {
      Properties: { VisibilityTimeout: number; MessageRetentionPeriod: number };
    };
    expect(main.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(deadLetterQueue), 'Arn'] },
        maxReceiveCount: EXPORT_MAX_RECEIVE_COUNT,
      },
      MessageRetentionPeriod: EXPORT_QUIET_AFTER_MS / 1000,
    });
    expect(main.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * EXPORT_WORKER_TIMEOUT_SECONDS);
    expect(main.Properties.VisibilityTimeout * EXPORT_MAX_RECEIVE_COUNT).toBeLessThan(
      main.Properties.MessageRetentionPeriod,
    );
    for (const id of [logicalId(queue), logicalId(deadLetterQueue)]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('drives the worker one export at a time with partial batch failures, sized and priced as a Lambda node', () => {
    const { queue, worker } = synth.stacks.exports;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
    const props = functionOf(worker).Properties;
    expect(props.MemorySize).toBe(NODE_COMPUTE.lambda.memoryMb);
    expect(props.Timeout).toBe(EXPORT_WORKER_TIMEOUT_SECONDS);
    expect(props.EphemeralStorage?.Size).toBe(10_240);
    expect(JSON.stringify(props.Layers)).toContain('DuckDb');
    expect(
      Object.keys(props.Environment.Variables)
        .filter((k) => k.startsWith('PW_'))
        .sort(),
    ).toEqual(
      [
        'PW_BUCKET',
        'PW_DB_CLUSTER_ARN',
        'PW_DB_DRIVER',
        'PW_DB_NAME',
        'PW_DB_SECRET_ARN',
        'PW_RUNTIME',
      ].sort(),
    );
  });

  it('lets the worker read tables and write exports, and nothing else of the bucket', () => {
    const objects = rolePermissions(template, stack, synth.stacks.exports.worker.role).filter((line) =>
      /^s3:(GetObject|PutObject|DeleteObject|AbortMultipartUpload) /.test(line),
    );
    const arn = (prefix: string) =>
      stack.resolve(objectsArn(resourceNames('PipeWeave').dataBucketName, prefix));
    expect(objects).toEqual(
      [
        permission('s3:GetObject', arn('processed/')),
        permission('s3:GetObject', arn('jobs/')),
        permission('s3:PutObject', arn('exports/')),
        permission('s3:AbortMultipartUpload', arn('exports/')),
        permission('s3:DeleteObject', arn('exports/')),
      ].sort(),
    );
  });

  it('sweeps quiet exports once a day, with the other daily sweeps', () => {
    const sweepId = stack.getLogicalId(synth.stacks.exports.sweep.function.node.defaultChild as CfnFunction);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(17 3 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweepId, 'Arn'] } })],
    });
    const deletes = rolePermissions(template, stack, synth.stacks.exports.sweep.role).filter((line) =>
      line.startsWith('s3:'),
    );
    expect(deletes.some((line) => line.startsWith('s3:DeleteObject'))).toBe(true);
    expect(deletes.some((line) => /^s3:(GetObject|PutObject) /.test(line))).toBe(false);
    // Queued exports that lost their message are sent again.
    const queueArn = stack.resolve(synth.stacks.exports.queue.queueArn);
    expect(rolePermissions(template, stack, synth.stacks.exports.sweep.role)).toContain(
      permission('sqs:SendMessage', queueArn),
    );
  });

  it('alarms as soon as an export message reaches the DLQ', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(synth.stacks.exports.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 1,
    });
  });

  it('lets only the exports API function send to the exports queue, and tells it only that queue', () => {
    const api = synth.template('api');
    const functions = api.findResources('AWS::Lambda::Function') as Record<string, FunctionResource>;
    const exportsApi = functionResource(api, synth.stacks.api.groupFunctions['exports']);
    const datasetsApi = functionResource(api, synth.stacks.api.groupFunctions['datasets']);
    expect(JSON.stringify(exportsApi.Properties.Environment.Variables['PW_QUEUE_URLS'])).toContain(
      '\\"exports\\":\\"',
    );
    expect(JSON.stringify(exportsApi.Properties.Environment.Variables['PW_QUEUE_URLS'])).not.toContain(
      'tabular',
    );
    expect(JSON.stringify(datasetsApi.Properties.Environment.Variables['PW_QUEUE_URLS'])).not.toContain(
      'exports',
    );
    const withExportsQueue = Object.values(functions).filter((fn) =>
      JSON.stringify(fn.Properties.Environment.Variables['PW_QUEUE_URLS'] ?? '').includes('\\"exports\\"'),
    );
    expect(withExportsQueue).toHaveLength(1);
  });
});

function functionResource(
  template: Template,
  fn: { function: { node: { defaultChild: unknown } } } | undefined,
): FunctionResource {
  if (!fn) throw new Error('no such API function');
  const id = synth.stacks.api.getLogicalId(fn.function.node.defaultChild as CfnFunction);
  return template.findResources('AWS::Lambda::Function')[id] as FunctionResource;
}
