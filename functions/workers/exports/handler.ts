import { getAwsServices } from '../../../shared/adapters/aws/aws-services';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { makeExportWorker } from '../../../shared/domain/exports/export-worker';

/** Lambda entry of the exports queue's worker (SQS event source, partial batch failures). */
export const handler = makeExportWorker(getAwsServices, { openEngine: openDuckDbEngine });
