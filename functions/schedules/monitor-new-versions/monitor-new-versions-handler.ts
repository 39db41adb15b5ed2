import {
  monitorNewVersions,
  type MonitorSweepReport,
} from '../../../shared/domain/analyses/monitor-new-versions';
import { jobCredits } from '../../../shared/domain/runs/job-credits';
import type { Services } from '../../../shared/ports/services';

/**
 * Automatic monitoring (every hour in AWS; every few seconds on one machine): new versions of
 * datasets bound to a baseline get their monitoring job.
 */
export function makeMonitorNewVersionsHandler(
  getServices: () => Services | Promise<Services>,
): (event?: unknown) => Promise<MonitorSweepReport> {
  return async () => monitorNewVersions({ services: await getServices(), credits: jobCredits() });
}
