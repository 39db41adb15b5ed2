import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { makeIngestionWorker } from '../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { WORKER_PROCESSORS } from '../worker-processors';

/** Lambda entry of the seismic queue's worker (SQS event source, partial batch failures). */
export const handler = makeIngestionWorker(getAwsServices, {
  modality: 'seismic',
  processor: WORKER_PROCESSORS.seismic,
  openEngine: openDuckDbEngine,
});
