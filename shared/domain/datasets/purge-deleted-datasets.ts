import { sql } from 'kysely';
import { withSystemScope, withTenant } from '../../db/tenant';
import { jsonb } from '../../db/schema';
import type { Services } from '../../ports/services';
import { objectKeys } from '../../storage/object-keys';
import { deleteSoftDeletedDataset, listPurgeableDatasetsAcrossTenants } from './dataset-repository';

/**
 * The dataset part of the daily purge: datasets soft-deleted longer ago than the retention lose
 * their objects (raw, processed, reports) and then their rows; uploads that never arrived stop
 * reserving storage. Storage counters were already released at soft delete (database triggers).
 */
export interface DatasetPurgeReport {
  purgedDatasetIds: string[];
  deletedObjects: number;
  expiredUploads: number;
}

export const DATASET_RETENTION_DAYS = 30;
/** An upload window is minutes; a version still waiting a day later will not get its file. */
const STALE_UPLOAD_GRACE_MS = 24 * 60 * 60 * 1000;

/** `raw/{u}/{d}/`, `processed/{u}/{d}/`, `reports/{u}/{d}/`: built by the key module, cut at the version. */
export function datasetObjectPrefixes(userId: string, datasetId: string): string[] {
  const cut = (key: string) => key.slice(0, key.indexOf(`/${datasetId}/`) + datasetId.length + 2);
  return [
    cut(objectKeys.raw(userId, datasetId, 1, 'x')),
    cut(objectKeys.processed(userId, datasetId, 1)),
    cut(objectKeys.edaReport(userId, datasetId, 1)),
  ];
}

export async function purgeDeletedDatasets(
  services: Pick<Services, 'db' | 'blobs' | 'clock' | 'logger'>,
  options: { retentionDays?: number; limit?: number } = {},
): Promise<DatasetPurgeReport> {
  const now = services.clock.now();
  const cutoff = new Date(now.getTime() - (options.retentionDays ?? DATASET_RETENTION_DAYS) * 86_400_000);
  const due = await withSystemScope(services.db, 'schedule.purge-deleted-datasets', (trx) =>
    listPurgeableDatasetsAcrossTenants(trx, cutoff, options.limit ?? 100),
  );
  const report: DatasetPurgeReport = { purgedDatasetIds: [], deletedObjects: 0, expiredUploads: 0 };
  for (const { id, userId } of due) {
    // Objects first: if this run stops halfway, the row is still there for the next run to find.
    for (const prefix of datasetObjectPrefixes(userId, id))
      report.deletedObjects += await services.blobs.deletePrefix(prefix);
    const deleted = await withTenant(services.db, { userId, role: 'user' }, (trx) =>
      deleteSoftDeletedDataset(trx, { userId, datasetId: id }),
    );
    if (deleted) report.purgedDatasetIds.push(id);
  }

  const staleBefore = new Date(now.getTime() - STALE_UPLOAD_GRACE_MS);
  report.expiredUploads = await withSystemScope(
    services.db,
    'schedule.purge-deleted-datasets',
    async (trx) => {
      const rows = await trx
        .updateTable('dataset_versions')
        .set({
          status: 'failed',
          original_size_bytes: null,
          validation_errors: jsonb([
            {
              code: 'UPLOAD.EXPIRED',
              message:
                'The file never arrived before the upload link expired; start a new version to upload it.',
            },
          ]),
        })
        .where('status', '=', 'uploading')
        .where('upload_expires_at', '<', sql<Date>`${staleBefore.toISOString()}::timestamptz`)
        .returning('id')
        .execute();
      return rows.length;
    },
  );
  services.logger.info('dataset purge finished', {
    ...report,
    purgedDatasetIds: report.purgedDatasetIds.length,
  });
  return report;
}
