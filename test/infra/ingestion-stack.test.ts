import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { WORKER_SETTINGS } from '../../infra/aws/stacks/ingestion-stack';
import { QUEUE_MODALITIES } from '../../shared/kernel/modality';
import { synthPipeWeave, type SynthesizedPipeWeave } from './synth-pipeweave';

let synth: SynthesizedPipeWeave;
let ingestion: Template;
let stack: Stack;

beforeAll(() => {
  synth = synthPipeWeave();
  ingestion = synth.template('ingestion');
  stack = synth.stacks.ingestion;
});

const logicalId = (queue: { node: { defaultChild: unknown } }) =>
  stack.getLogicalId(queue.node.defaultChild as CfnQueue);

describe.each(QUEUE_MODALITIES)('%s ingestion', (modality) => {
  it('has an encrypted queue that moves a message to its DLQ on the receive the worker treats as the last', () => {
    const { queue, deadLetterQueue } = synth.stacks.ingestion.modalities[modality];
    const queues = ingestion.findResources('AWS::SQS::Queue');
    const main = queues[logicalId(queue)] as { Properties: Record<string, unknown> };
    expect(main.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(deadLetterQueue), 'Arn'] },
        maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
      },
    });
    const settings = WORKER_SETTINGS[modality];
    expect(main.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * settings.timeout.toSeconds());
  });

  it('enforces TLS on the queue and its DLQ', () => {
    const { queue, deadLetterQueue } = synth.stacks.ingestion.modalities[modality];
    for (const id of [logicalId(queue), logicalId(deadLetterQueue)]) {
      ingestion.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('drives its worker with partial batch failure reporting', () => {
    const { queue } = synth.stacks.ingestion.modalities[modality];
    const settings = WORKER_SETTINGS[modality];
    ingestion.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: settings.batchSize,
      ScalingConfig: { MaximumConcurrency: settings.maxConcurrency },
    });
  });

  it('alarms as soon as a message reaches the DLQ', () => {
    const { deadLetterQueue } = synth.stacks.ingestion.modalities[modality];
    ingestion.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('dispatch', () => {
  it('has one queue and one DLQ per modality, and one alarm per DLQ', () => {
    ingestion.resourceCountIs('AWS::SQS::Queue', 2 * QUEUE_MODALITIES.length);
    ingestion.resourceCountIs('AWS::CloudWatch::Alarm', QUEUE_MODALITIES.length);
  });

  it('sends ObjectCreated events under raw/ and dropbox/ to the dispatcher', () => {
    const dispatcher = stack.getLogicalId(
      synth.stacks.ingestion.dispatcher.function.node.defaultChild as CfnQueue,
    );
    const notifications = ingestion.findResources('Custom::S3BucketNotifications');
    const configs = Object.values(notifications).flatMap(
      (resource) =>
        (
          resource as {
            Properties: { NotificationConfiguration: { LambdaFunctionConfigurations: unknown[] } };
          }
        ).Properties.NotificationConfiguration.LambdaFunctionConfigurations,
    );
    const prefixes = configs.map((config) => {
      expect(config).toMatchObject({
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: { 'Fn::GetAtt': [dispatcher, 'Arn'] },
      });
      return JSON.stringify(config).match(/"Name":"prefix","Value":"([^"]+)"/)?.[1];
    });
    expect(prefixes.sort()).toEqual(['dropbox/', 'raw/']);
  });

  it('gives the dispatcher every queue URL by modality', () => {
    ingestion.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('queue of their modality'),
      Environment: {
        Variables: Match.objectLike({
          PW_QUEUE_URLS: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          PW_BUCKET: Match.anyValue(),
          PW_DB_CLUSTER_ARN: Match.anyValue(),
        }),
      },
    });
    const env = JSON.stringify(
      Object.values(ingestion.findResources('AWS::Lambda::Function')).find((fn) =>
        JSON.stringify(fn).includes('PW_QUEUE_URLS'),
      ),
    );
    for (const modality of QUEUE_MODALITIES) expect(env).toContain(`\\"${modality}\\":\\"`);
  });
});
