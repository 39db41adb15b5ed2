import * as z from 'zod';
import { defineNode } from '../node-definition';
import { throwIfCancelled } from '../table-io';

/**
 * Reads a dataset version's processed Parquet. The object is copied (server side) under the job's
 * prefix, so the job's outputs stay readable whatever happens to the dataset later.
 */
export const datasetSourceNode = defineNode({
  key: 'dataset.source',
  params: z
    .object({
      datasetId: z.uuid().optional().describe("The dataset to read; absent: the pipeline's dataset."),
      version: z
        .union([z.number().int().min(1), z.literal('current')], {
          error: 'must be an integer ≥ 1 or "current"',
        })
        .default('current')
        .describe('A version number, or "current" for the version current when the job starts.'),
    })
    .strict(),
  async run(context, _inputs, params) {
    const resolved = await context.resolveDataset({
      ...(params.datasetId ? { datasetId: params.datasetId } : {}),
      version: params.version,
    });
    throwIfCancelled(context);
    await context.progress(0.3, `reading version ${resolved.versionNumber} of the dataset`);
    const key = context.outputKey('table');
    const info = await context.blobs.copy(resolved.processedObjectKey, key);
    const rows = resolved.rowCount ?? undefined;
    return {
      outputs: {
        table: { key, format: 'parquet', ...(rows !== undefined ? { rows } : {}), bytes: info.size },
      },
      metrics: {
        datasetId: resolved.datasetId,
        datasetVersionId: resolved.datasetVersionId,
        version: resolved.versionNumber,
        ...(rows !== undefined ? { rows } : {}),
      },
    };
  },
});
