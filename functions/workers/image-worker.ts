import { getAwsServices } from '../../shared/adapters/aws/aws-services';
import { openDuckDbEngine } from '../../shared/adapters/duckdb/duckdb-sql-engine';
import { makeIngestionWorker } from '../../shared/ingestion/workers/ingestion-worker';
import { MODALITY_PROCESSORS } from '../../shared/ingestion/workers/modality-processors';

/** Lambda entry of the image queue's worker (SQS event source, partial batch failures). */
export const handler = makeIngestionWorker(getAwsServices, {
  modality: 'image',
  processor: MODALITY_PROCESSORS.image,
  openEngine: openDuckDbEngine,
});
