import { Duration, Size, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { NODE_COMPUTE } from '../../../shared/domain/billing/compute-cost';
import { EXPORT_MAX_RECEIVE_COUNT } from '../../../shared/domain/exports/export-worker';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../../../shared/domain/exports/run-export';
import { EXPORT_QUIET_AFTER_MS } from '../../../shared/domain/exports/sweep-exports';
import { EXPORTS_QUEUE } from '../../../shared/kernel/work-queues';
import { grantDataApi, grantObjects, type DataApiTarget } from '../constructs/access';
import { deadLetteredQueue } from '../constructs/dead-lettered-queue';
import { VISIBILITY_TO_TIMEOUT_RATIO } from '../constructs/modality-ingestion';
import { DuckDbLayer } from '../constructs/native-modules-layer';
import { PipeWeaveFunction } from '../constructs/pipeweave-function';
import { dataApiEnvironment, environment } from '../function-environment';
import type { ResourceNames } from '../naming';
import { MAX_EPHEMERAL_STORAGE_MIB } from './ingestion-stack';

export const EXPORT_WORKER_ENTRY = 'functions/workers/exports/handler.ts';
export const SWEEP_EXPORTS_ENTRY = 'functions/schedules/sweep-exports/handler.ts';

/** Exports running at once: each holds a DuckDB session and up to 10 GiB of /tmp. */
export const EXPORT_WORKER_CONCURRENCY = 5;

export interface ExportsStackProps extends StackProps {
  names: ResourceNames;
  database: DataApiTarget & { name: string };
  alarmTopicArn?: string;
}

/**
 * Exports: `POST /exports` → the exports queue (with a DLQ and an alarm on it) → the exports
 * worker, which downloads the table, writes it with DuckDB and uploads the files under exports/;
 * and the daily sweep that fails, refunds and cleans up exports whose worker went quiet.
 *
 * The worker is sized as a Lambda node (compute-cost.ts NODE_COMPUTE.lambda): an export is billed
 * at the price of what it ran on. A message lives no longer than the sweep waits before giving an
 * export up, and its attempts (visibility timeout × receives) fit well inside that.
 */
export class ExportsStack extends Stack {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: PipeWeaveFunction;
  readonly sweep: PipeWeaveFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ExportsStackProps) {
    super(scope, id, props);
    const { names, database } = props;
    const timeout = Duration.seconds(EXPORT_WORKER_TIMEOUT_SECONDS);
    const visibilityTimeout = Duration.seconds(EXPORT_WORKER_TIMEOUT_SECONDS * VISIBILITY_TO_TIMEOUT_RATIO);
    const lifetime = Duration.millis(EXPORT_QUIET_AFTER_MS);
    if (visibilityTimeout.toSeconds() * EXPORT_MAX_RECEIVE_COUNT >= lifetime.toSeconds())
      throw new Error('Every attempt of an export must fit in the time its message lives.');

    const queues = deadLetteredQueue(this, {
      visibilityTimeout,
      retentionPeriod: lifetime,
      maxReceiveCount: EXPORT_MAX_RECEIVE_COUNT,
      alarmDescription: `Export messages failed ${EXPORT_MAX_RECEIVE_COUNT} times and wait in the dead-letter queue`,
      alarmTopic: props.alarmTopicArn
        ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : undefined,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.deadLetterAlarm = queues.deadLetterAlarm;

    const environmentVariables = environment(dataApiEnvironment(database), {
      PW_BUCKET: names.dataBucketName,
    });
    this.worker = new PipeWeaveFunction(this, 'Worker', {
      entry: EXPORT_WORKER_ENTRY,
      description: 'Writes dataset versions and job outputs as CSV, JSON, Parquet and training layouts',
      memorySize: NODE_COMPUTE.lambda.memoryMb,
      timeout,
      // The table, the files written from it and DuckDB's spill.
      ephemeralStorageSize: Size.mebibytes(MAX_EPHEMERAL_STORAGE_MIB),
      environment: environmentVariables,
      layers: [new DuckDbLayer(this, 'DuckDb').layer],
    });
    this.worker.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 1,
        maxConcurrency: EXPORT_WORKER_CONCURRENCY,
        reportBatchItemFailures: true,
      }),
    );
    grantDataApi(this.worker.role, database);
    grantObjects(
      this.worker.role,
      names,
      { read: ['processed/', 'jobs/'], write: ['exports/'], delete: ['exports/'] },
      'exports worker: reads tables, writes and replaces export files',
    );

    this.sweep = new PipeWeaveFunction(this, 'Sweep', {
      entry: SWEEP_EXPORTS_ENTRY,
      description:
        'Sends queued exports that lost their message again; fails, refunds and cleans up quiet ones',
      timeout: Duration.minutes(5),
      environment: environment(environmentVariables, {
        PW_QUEUE_URLS: this.toJsonString({ [EXPORTS_QUEUE]: this.queue.queueUrl }),
      }),
    });
    this.queue.grantSendMessages(this.sweep.role);
    grantDataApi(this.sweep.role, database);
    grantObjects(this.sweep.role, names, { delete: ['exports/'] }, 'export sweep: removes partial files');
    // With the other daily sweeps (schedules-stack.ts), so Aurora wakes once a day for all of them.
    new Rule(this, 'SweepExportsDaily', {
      description: 'PipeWeave scheduled: export sweep (quiet exports failed and refunded)',
      schedule: Schedule.cron({ minute: '17', hour: '3' }),
      targets: [new LambdaFunction(this.sweep.function, { retryAttempts: 2 })],
    });
  }
}
