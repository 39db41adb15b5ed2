import type { RequestContext } from '../../kernel/request-context';
import { auditEntry, diffChanges, recordAudit } from '../identity/audit/record-audit';
import type { TaskType } from '../../db/schema';
import { withOwner } from '../../db/owner-filter';
import { NotFoundError, ValidationError } from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { dedupeTags, nameTaken } from './create-dataset';
import type { Dataset } from './dataset-records';
import { findDataset, softDeleteDataset, updateDataset } from './dataset-repository';
import type { DatasetChanges } from './dataset-repository';
import { findVersionById } from './dataset-version-repository';
import { assertTargetColumnKnown } from './target-column';
import { tryReconcileRefreshSchedule } from './refresh/refresh-schedules';
import { assertOwnS3Source, parseRefreshSource, refreshInterval } from './refresh/refresh-source';

export async function getDataset(
  services: Pick<Services, 'db'>,
  caller: Caller,
  datasetId: string,
): Promise<Dataset> {
  const dataset = await withOwner(services.db, caller, (trx) =>
    findDataset(trx, { userId: caller.userId, datasetId }),
  );
  if (!dataset) throw new NotFoundError('Dataset', datasetId);
  return dataset;
}

export interface UpdateDatasetInput {
  name?: string | undefined;
  description?: string | null | undefined;
  problemType?: TaskType | null | undefined;
  targetColumn?: string | null | undefined;
  tags?: string[] | undefined;
  /** null stops refreshing. */
  refresh?: { sourceUrl: string; schedule: string; rerunPipelines?: boolean | undefined } | null | undefined;
}

/**
 * Changes what the owner may change. Setting `refresh` validates the source and schedule, stores
 * them (first fetch due now) and syncs the dataset's product schedule to them; `refresh: null`
 * removes both. The schedule follows the stored settings: if the Scheduler fails, the refresh sweep syncs it.
 */
export async function updateDatasetDetails(
  services: Pick<Services, 'db' | 'config' | 'clock' | 'scheduler' | 'logger'>,
  caller: Caller,
  datasetId: string,
  input: UpdateDatasetInput,
  request: RequestContext,
): Promise<Dataset> {
  const changes: DatasetChanges = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.problemType === undefined ? {} : { problemType: input.problemType }),
    ...(input.targetColumn === undefined ? {} : { targetColumn: input.targetColumn }),
    ...(input.tags === undefined ? {} : { tags: dedupeTags(input.tags) }),
  };
  if (input.refresh === null) {
    changes.refresh = { sourceUrl: null, schedule: null, nextRefreshAt: null };
  } else if (input.refresh !== undefined) {
    // Nothing runs pipelines after a refresh yet: refuse the promise instead of storing it.
    if (input.refresh.rerunPipelines === true) {
      throw new ValidationError(
        'Re-running pipelines after a refresh is not supported yet: leave out rerunPipelines (or set it to false) and start jobs with POST /jobs.',
        { field: 'body.refresh.rerunPipelines', code: 'DATASET.REFRESH_RERUN_NOT_SUPPORTED' },
      );
    }
    const source = parseRefreshSource(input.refresh.sourceUrl);
    if (source.kind === 's3') {
      const bucket = services.config.storage?.bucket;
      if (!bucket)
        throw new ValidationError('s3:// sources are not available here.', {
          field: 'body.refresh.sourceUrl',
        });
      assertOwnS3Source(source, bucket, caller.userId);
    }
    refreshInterval(input.refresh.schedule);
    changes.refresh = {
      sourceUrl: input.refresh.sourceUrl,
      schedule: input.refresh.schedule,
      nextRefreshAt: services.clock.now(),
      ...(input.refresh.rerunPipelines === undefined ? {} : { rerunPipelines: input.refresh.rerunPipelines }),
    };
  }

  let updated: Dataset;
  try {
    updated = await withOwner(services.db, caller, async (trx) => {
      const before = await findDataset(trx, { userId: caller.userId, datasetId }, { forUpdate: true });
      if (!before) throw new NotFoundError('Dataset', datasetId);
      if (typeof input.targetColumn === 'string' && before.currentVersionId) {
        const current = await findVersionById(trx, before.currentVersionId);
        if (current) assertTargetColumnKnown(input.targetColumn, current);
      }
      const after = await updateDataset(trx, { userId: caller.userId, datasetId }, changes);
      if (!after) throw new NotFoundError('Dataset', datasetId);
      await recordAudit(
        trx,
        auditEntry(
          request,
          'dataset.update',
          { type: 'dataset', id: datasetId },
          diffChanges(
            {
              ...before,
              refreshSourceUrl: before.refreshSourceUrl,
              refreshSchedule: before.refreshSchedule,
            } as Record<string, unknown>,
            {
              name: after.name,
              description: after.description,
              problemType: after.problemType,
              targetColumn: after.targetColumn,
              tags: after.tags,
              refreshSourceUrl: after.refreshSourceUrl,
              refreshSchedule: after.refreshSchedule,
            },
          ),
        ),
      );
      return after;
    });
  } catch (error) {
    throw nameTaken(error, input.name);
  }

  // The change is committed: a Scheduler that fails now is logged and the refresh sweep catches up.
  if (input.refresh !== undefined) {
    await tryReconcileRefreshSchedule(services, { userId: caller.userId, datasetId });
  }
  return updated;
}

/** Soft delete: gone from lists at once, counters and storage released; objects removed by the purge. */
export async function deleteDataset(
  services: Pick<Services, 'db' | 'scheduler' | 'logger'>,
  caller: Caller,
  datasetId: string,
  request: RequestContext,
): Promise<void> {
  const deleted = await withOwner(services.db, caller, async (trx) => {
    const dataset = await softDeleteDataset(trx, { userId: caller.userId, datasetId });
    if (!dataset) throw new NotFoundError('Dataset', datasetId);
    await recordAudit(
      trx,
      auditEntry(request, 'dataset.delete', { type: 'dataset', id: datasetId }, { name: dataset.name }),
    );
    return dataset;
  });
  if (deleted.refreshSourceUrl)
    await tryReconcileRefreshSchedule(services, { userId: caller.userId, datasetId });
}
