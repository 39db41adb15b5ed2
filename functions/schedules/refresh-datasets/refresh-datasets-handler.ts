import type { ScheduledEvent } from 'aws-lambda';
import {
  NO_REFRESH_SOURCE,
  refreshDatasetById,
  refreshDueDatasets,
} from '../../../shared/domain/datasets/refresh/refresh-datasets';
import type { RefreshOptions, RefreshResult } from '../../../shared/domain/datasets/refresh/refresh-datasets';
import {
  reconcileRefreshSchedules,
  tryReconcileRefreshSchedule,
} from '../../../shared/domain/datasets/refresh/refresh-schedules';
import type { Services } from '../../../shared/ports/services';

/**
 * Two triggers: the fixed sweep (every dataset whose refresh is due; daily on AWS, where it only
 * catches missed schedules, every 15 minutes locally) and a dataset's own schedule, whose event
 * detail names it (`{ kind: 'dataset-refresh', datasetId, userId }`).
 */
export function makeRefreshDatasetsHandler(
  getServices: () => Services | Promise<Services>,
  options: RefreshOptions = {},
): (event: ScheduledEvent<Record<string, unknown>>) => Promise<RefreshResult[]> {
  return async (event) => {
    const services = await getServices();
    // EventBridge Scheduler delivers a schedule's payload as the whole event; rules and the local ticker put it in `detail`.
    const detail: Record<string, unknown> = event.detail ?? (event as unknown as Record<string, unknown>);
    const datasetId = detail['datasetId'];
    const userId = detail['userId'];
    const perDataset =
      detail['kind'] === 'dataset-refresh' && typeof datasetId === 'string' && typeof userId === 'string';
    // The sweep also brings per-dataset schedules in line with the datasets' refresh settings.
    if (!perDataset) {
      await reconcileRefreshSchedules(services).catch((error: unknown) => {
        services.logger.error('refresh schedules not reconciled', { error });
      });
    }
    const results = perDataset
      ? [await refreshDatasetById(services, { datasetId, userId }, options)]
      : await refreshDueDatasets(services, options);
    // A schedule firing for a dataset that no longer refreshes (deleted, or refresh stopped) goes away.
    if (perDataset && results.some((r) => r.outcome === 'skipped' && r.reason === NO_REFRESH_SOURCE)) {
      await tryReconcileRefreshSchedule(services, { datasetId, userId });
    }
    services.logger.info('dataset refresh run finished', {
      scheduledAt: event.time,
      outcomes: results.map((r) => r.outcome),
    });
    return results;
  };
}
