import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { QUEUE_MODALITIES, type QueueModality } from '../../../shared/kernel/modality';
import { DEFAULT_TIER_LIMITS, TIERS } from '../../../shared/domain/datasets/tier-limits';
import { grantDataApi, grantObjects, type DataApiTarget } from '../constructs/access';
import { DuckDbLayer, MediaLayer } from '../constructs/native-modules-layer';
import { ModalityIngestion, type WorkerSettings } from '../constructs/modality-ingestion';
import { PipeWeaveFunction } from '../constructs/pipeweave-function';
import { dataApiEnvironment, environment } from '../function-environment';
import type { ResourceNames } from '../naming';

export const INGEST_DISPATCHER_ENTRY = 'functions/ingest/object-created/handler.ts';
/** Object prefixes whose new objects start ingestion: HTTPS uploads and the drop folder. */
export const INGEST_PREFIXES = ['raw/', 'dropbox/'] as const;

const minutes = (n: number) => Duration.minutes(n);

/** The most /tmp a Lambda function can have. */
export const MAX_EPHEMERAL_STORAGE_MIB = 10_240;
const largestFileBytes = Math.max(...TIERS.map((tier) => DEFAULT_TIER_LIMITS[tier].maxFileBytes));
/**
 * /tmp for a worker that takes one large file: the raw download, the converted Parquet and the
 * engine's spill, each up to the largest file a tier may upload, within Lambda's 10 GiB.
 */
export const LARGE_FILE_WORKER_STORAGE = Size.mebibytes(
  Math.min(MAX_EPHEMERAL_STORAGE_MIB, Math.ceil((3 * largestFileBytes) / (1024 * 1024))),
);

/**
 * Per modality: tabular and time series files are converted by DuckDB in memory, media and
 * seismic traces take longer per file, text comes as many small files, images as one or a zip of many.
 */
export const WORKER_SETTINGS: Record<QueueModality, WorkerSettings> = {
  tabular: {
    memorySize: 3008,
    timeout: minutes(5),
    batchSize: 1,
    maxConcurrency: 5,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
  text: { memorySize: 2048, timeout: minutes(5), batchSize: 5, maxConcurrency: 5 },
  // A zip of images: the archive, what it unpacks to (at most 4 GiB) and every image decoded.
  image: {
    memorySize: 3008,
    timeout: minutes(15),
    batchSize: 1,
    maxConcurrency: 5,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
  audio: {
    memorySize: 3008,
    timeout: minutes(10),
    batchSize: 1,
    maxConcurrency: 3,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
  video: {
    memorySize: 4096,
    timeout: minutes(15),
    batchSize: 1,
    maxConcurrency: 2,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
  timeseries: {
    memorySize: 3008,
    timeout: minutes(5),
    batchSize: 1,
    maxConcurrency: 5,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
  seismic: {
    memorySize: 3008,
    timeout: minutes(10),
    batchSize: 1,
    maxConcurrency: 3,
    ephemeralStorageSize: LARGE_FILE_WORKER_STORAGE,
  },
};

export interface IngestionStackProps extends StackProps {
  names: ResourceNames;
  database: DataApiTarget & { name: string };
  alarmTopicArn?: string;
}

/**
 * Arrivals to versions: S3 ObjectCreated under raw/ and dropbox/ → dispatcher → one queue per
 * modality → that modality's worker. Each queue has a DLQ and an alarm on it.
 */
export class IngestionStack extends Stack {
  readonly modalities: Record<QueueModality, ModalityIngestion>;
  readonly dispatcher: PipeWeaveFunction;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const { names, database } = props;
    const databaseEnv = dataApiEnvironment(database);
    const alarmTopic = props.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
      : undefined;
    const duckDb = new DuckDbLayer(this, 'DuckDb');
    const media = new MediaLayer(this, 'Media');

    const modalities = {} as Record<QueueModality, ModalityIngestion>;
    for (const modality of QUEUE_MODALITIES) {
      const ingestion = new ModalityIngestion(this, `${pascal(modality)}Ingestion`, {
        modality,
        settings: WORKER_SETTINGS[modality],
        environment: environment(databaseEnv, { PW_BUCKET: names.dataBucketName }),
        duckDbLayer: duckDb.layer,
        ...(modality === 'audio' || modality === 'video' ? { extraLayers: [media.layer] } : {}),
        ...(alarmTopic ? { alarmTopic } : {}),
      });
      grantDataApi(ingestion.worker.role, database);
      grantObjects(
        ingestion.worker.role,
        names,
        { read: ['raw/', 'dropbox/'], write: ['processed/', 'reports/', 'quarantine/'] },
        `${modality} worker: reads arrivals, writes Parquet, reports and rejected files`,
      );
      modalities[modality] = ingestion;
    }
    this.modalities = modalities;

    this.dispatcher = new PipeWeaveFunction(this, 'Dispatcher', {
      entry: INGEST_DISPATCHER_ENTRY,
      description: 'Routes new uploads and drop-folder files to the queue of their modality',
      memorySize: 512,
      timeout: Duration.seconds(60),
      environment: environment(databaseEnv, {
        PW_BUCKET: names.dataBucketName,
        PW_QUEUE_URLS: this.toJsonString(
          Object.fromEntries(
            QUEUE_MODALITIES.map((modality) => [modality, modalities[modality].queue.queueUrl]),
          ),
        ),
      }),
    });
    grantDataApi(this.dispatcher.role, database);
    for (const modality of QUEUE_MODALITIES)
      modalities[modality].queue.grantSendMessages(this.dispatcher.role);
    grantObjects(
      this.dispatcher.role,
      names,
      { read: ['raw/', 'dropbox/'], write: ['raw/', 'quarantine/'], delete: ['raw/', 'dropbox/'] },
      'dispatcher: inspects arrivals, files drops under raw/ or moves them to quarantine/, deletes uploads over the tier limit',
    );

    // The bucket lives in the data stack; importing it by name keeps the notification (and its
    // dependency on this stack's function) here instead of creating a cycle between the stacks.
    const bucket = Bucket.fromBucketName(this, 'DataBucket', names.dataBucketName);
    for (const prefix of INGEST_PREFIXES) {
      bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(this.dispatcher.function), {
        prefix,
      });
    }
    // aws-cdk-lib adds one notifications handler per stack; it only calls PutBucketNotification.
    const notificationsHandler = this.node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The S3 notifications handler of aws-cdk-lib writes only its own logs with this policy; its role and code are not ours to shape.',
      });
    }
  }
}

function pascal(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
