import type { ScheduledEvent } from 'aws-lambda';
import { purgeDeletedUsers, type PurgeReport } from '../../shared/identity/purge-deleted-users';
import type { Services } from '../../shared/services';

/**
 * The daily purge (EventBridge rule; locally the scheduler's `purge-deleted` schedule): accounts
 * deleted more than 30 days ago lose their objects and rows.
 */
export function makePurgeDeletedHandler(
  getServices: () => Services | Promise<Services>,
): (event: ScheduledEvent<Record<string, unknown>>) => Promise<PurgeReport> {
  return async (event) => {
    const services = await getServices();
    const report = await purgeDeletedUsers(services);
    services.logger.info('purge of deleted accounts finished', {
      scheduledAt: event.time,
      purged: report.purgedUserIds.length,
      anonymised: report.anonymisedUserIds.length,
      deletedObjects: report.deletedObjects,
    });
    return report;
  };
}
