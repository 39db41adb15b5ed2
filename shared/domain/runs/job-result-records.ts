import type { Database } from '../../db/database';
import { withOwner } from '../../db/owner-filter';
import type { Clock } from '../../kernel/clock.port';
import { fitRecord } from './learning-records';
import type { BlobStore } from '../../ports/blob-store.port';
import type { DatasetVersion } from '../datasets/dataset-records';
import { findVersionById } from '../datasets/dataset-version-repository';
import { deliverOutputVersion, reserveOutputVersion } from '../datasets/pipeline-output-versions';
import type { TierLimitOverrides } from '../datasets/tier-limits';
import type { JobResults } from '../nodes/job-results.port';
import { attachOutputVersion, upsertJobResult } from './job-result-repository';

/**
 * The `JobResults` of one node of a job, over the database, in the job owner's tenant scope. A
 * result is written once per node (a retry replaces it) and registers its output as a dataset
 * version at most once: the version is reserved and attached to the result in one transaction,
 * so a retried node finds it and only copies the table again if the first copy never happened.
 */
export interface JobResultsDeps {
  db: Database;
  blobs: Pick<BlobStore, 'copy'>;
  clock: Clock;
  /** The tiers' limits as configured; the defaults otherwise. */
  tierLimits?: TierLimitOverrides | undefined;
}

/** How long a registered output waits for its object before the daily sweep fails it. */
const OUTPUT_VERSION_WINDOW_MS = 60 * 60 * 1000;
/** Result metrics stay well inside a Data API row. */
const RESULT_METRICS_BYTES = 8 * 1024;

export function databaseJobResults(
  deps: JobResultsDeps,
  context: { userId: string; jobId: string; nodeId: string },
): JobResults {
  const owner = { userId: context.userId };
  return {
    async record(result) {
      const { resultId, version } = await withOwner(deps.db, owner, async (trx) => {
        const row = await upsertJobResult(trx, {
          ownerId: context.userId,
          jobId: context.jobId,
          nodeId: context.nodeId,
          outputKey: result.outputKey,
          rowCount: result.rowCount,
          metrics: fitRecord(result.metrics, RESULT_METRICS_BYTES),
        });
        const output = result.outputDataset;
        if (!output) return { resultId: row.id, version: undefined };
        const attached = row.outputDatasetVersionId
          ? await findVersionById(trx, row.outputDatasetVersionId)
          : undefined;
        if (attached) return { resultId: row.id, version: attached };
        const reserved: DatasetVersion = await reserveOutputVersion(trx, {
          userId: context.userId,
          target: output.target,
          fileName: output.fileName,
          sizeBytes: output.sizeBytes,
          limits: deps.tierLimits,
          expiresAt: new Date(deps.clock.now().getTime() + OUTPUT_VERSION_WINDOW_MS),
        });
        await attachOutputVersion(trx, context.userId, row.id, {
          datasetId: reserved.datasetId,
          id: reserved.id,
        });
        return { resultId: row.id, version: reserved };
      });
      if (version?.status === 'uploading') await deliverOutputVersion(deps.blobs, version, result.outputKey);
      return {
        resultId,
        outputDataset: version
          ? {
              datasetId: version.datasetId,
              datasetVersionId: version.id,
              versionNumber: version.versionNumber,
            }
          : null,
      };
    },
  };
}
