import * as z from 'zod';
import { DATASET_VERSION_STATUSES } from '../../db/schema';
import type { JobResult } from './job-result-repository';

/** A job's result as the API shows it: the node, its output table, its metrics and the dataset version it became. */
export const jobResultViewSchema = z
  .object({
    id: z.string(),
    jobId: z.string(),
    nodeId: z.string().nullable(),
    outputKey: z
      .string()
      .nullable()
      .meta({ description: 'Where the output table (Parquet) is stored, as the job’s node outputs name it' }),
    rowCount: z.number().int().nullable(),
    metrics: z.record(z.string(), z.unknown()).meta({
      description:
        'Rows predicted, the model (id, name, version) and, when the table held the true values, accuracy or RMSE and MAE',
    }),
    outputDataset: z
      .object({
        datasetId: z.string().nullable(),
        datasetVersionId: z.string(),
        version: z.number().int().nullable(),
        status: z.enum(DATASET_VERSION_STATUSES).nullable(),
      })
      .nullable()
      .meta({
        description:
          'The dataset version the output was registered as, with its ingestion status; null when none was asked',
      }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'JobResult' });

export type JobResultView = z.infer<typeof jobResultViewSchema>;

export function toJobResultView(result: JobResult): JobResultView {
  const output = result.outputDataset;
  return {
    id: result.id,
    jobId: result.jobId,
    nodeId: result.nodeId,
    outputKey: result.outputKey,
    rowCount: result.rowCount,
    metrics: result.metrics,
    outputDataset: output
      ? {
          datasetId: output.datasetId,
          datasetVersionId: output.datasetVersionId,
          version: output.versionNumber,
          status: output.status,
        }
      : null,
    createdAt: result.createdAt.toISOString(),
    updatedAt: result.updatedAt.toISOString(),
  };
}
