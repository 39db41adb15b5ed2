import type { ScheduledEvent } from 'aws-lambda';
import {
  purgeDeletedDatasets,
  type DatasetPurgeReport,
} from '../../../shared/domain/datasets/purge-deleted-datasets';
import { purgeDeletedUsers, type PurgeReport } from '../../../shared/domain/identity/purge-deleted-users';
import type { Services } from '../../../shared/ports/services';

/**
 * The daily purge (EventBridge rule; locally the scheduler's `purge-deleted` schedule): datasets
 * and accounts deleted more than 30 days ago lose their objects and rows (datasets first, so a
 * dataset deleted before its owner is accounted for in the storage counters on its own).
 */
export function makePurgeDeletedHandler(
  getServices: () => Services | Promise<Services>,
): (
  event: ScheduledEvent<Record<string, unknown>>,
) => Promise<PurgeReport & { datasets: DatasetPurgeReport }> {
  return async (event) => {
    const services = await getServices();
    const datasets = await purgeDeletedDatasets(services);
    services.logger.info('purge of deleted datasets finished', {
      scheduledAt: event.time,
      purged: datasets.purgedDatasetIds.length,
      deletedObjects: datasets.deletedObjects,
      expiredUploads: datasets.expiredUploads,
    });
    const report = await purgeDeletedUsers(services);
    services.logger.info('purge of deleted accounts finished', {
      scheduledAt: event.time,
      purged: report.purgedUserIds.length,
      anonymised: report.anonymisedUserIds.length,
      deletedObjects: report.deletedObjects,
    });
    return { ...report, datasets };
  };
}
