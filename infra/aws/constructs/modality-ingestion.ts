import { Duration } from 'aws-cdk-lib';
import type { Size } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueModality } from '../../../shared/config/config';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import type { FunctionEnvironment } from '../function-environment';
import { deadLetteredQueue } from './dead-lettered-queue';
import { PipeWeaveFunction } from './pipeweave-function';

export interface WorkerSettings {
  memorySize: number;
  timeout: Duration;
  /** Room in /tmp for the downloaded file and what is made of it. @default 512 MiB */
  ephemeralStorageSize?: Size;
  /** Messages per invocation; each message is one dataset version (one file or archive). */
  batchSize: number;
  /** Concurrent invocations the queue may drive (SQS event sources accept 2 to 1000). */
  maxConcurrency: number;
}

/**
 * A message goes to the DLQ after this many failed receives. The worker marks the version failed
 * on that last receive, so both read the one constant.
 */
export const MAX_RECEIVE_COUNT = DEFAULT_MAX_RECEIVE_COUNT;
/** AWS's guidance for Lambda consumers: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

export interface ModalityIngestionProps {
  modality: QueueModality;
  settings: WorkerSettings;
  environment: FunctionEnvironment;
  duckDbLayer: ILayerVersion;
  /** More layers the worker needs (ffmpeg for audio and video). */
  extraLayers?: ILayerVersion[];
  alarmTopic?: ITopic;
}

/** The queue, dead-letter queue, DLQ alarm and worker function of one data modality. */
export class ModalityIngestion extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: PipeWeaveFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ModalityIngestionProps) {
    super(scope, id);
    const { modality, settings } = props;

    const queues = deadLetteredQueue(this, {
      visibilityTimeout: Duration.seconds(settings.timeout.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO),
      retentionPeriod: Duration.days(4),
      maxReceiveCount: MAX_RECEIVE_COUNT,
      alarmDescription: `${modality} ingestion messages failed ${MAX_RECEIVE_COUNT} times and wait in the dead-letter queue`,
      alarmTopic: props.alarmTopic,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.deadLetterAlarm = queues.deadLetterAlarm;

    this.worker = new PipeWeaveFunction(this, 'Worker', {
      entry: `functions/workers/${modality}/handler.ts`,
      description: `Validates, converts and profiles ${modality} dataset versions`,
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      ...(settings.ephemeralStorageSize ? { ephemeralStorageSize: settings.ephemeralStorageSize } : {}),
      environment: props.environment,
      layers: [props.duckDbLayer, ...(props.extraLayers ?? [])],
    });
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: settings.batchSize,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
