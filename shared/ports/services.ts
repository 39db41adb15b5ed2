import type { Config } from '../config/config';
import type { Database } from '../db/database';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics.port';
import type { AlertTopicPublisher } from './alert-topic.port';
import type { BlobStore } from './blob-store.port';
import type { Clock } from '../kernel/clock.port';
import type { HealthCheck } from './health.port';
import type { ImageCodec } from './image-codec.port';
import type { Ids } from '../kernel/ids.port';
import type { Orchestrator } from './orchestrator.port';
import type { QueuePublisher } from './queue.port';
import type { Scheduler } from './scheduler.port';
import type { SecretReader } from './secret-reader.port';

/**
 * What handlers and use cases may depend on. Composition roots build it: the AWS one
 * (`shared/adapters/aws/aws-services.ts`) for Lambda and Fargate, the local one
 * (`infra/local/local-services.ts`) for `npm start` and the tests. Nothing below knows which.
 */
export interface Services {
  config: Config;
  db: Database;
  blobs: BlobStore;
  queues: QueuePublisher;
  orchestrator: Orchestrator;
  scheduler: Scheduler;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  metrics: Metrics;
  health: HealthCheck[];
  /** Present where secrets live outside the configuration (AWS); absent locally. */
  secrets?: SecretReader;
  /** Alert notification topics (SNS in AWS); absent locally, where rules may only use webhooks. */
  alertTopics?: AlertTopicPublisher;
  /**
   * Loads the image decoder (sharp, a native module) where a request may carry an image: the
   * models function and the local runtime. Other functions do not bundle it.
   */
  loadImageCodec?: () => Promise<ImageCodec>;
}
