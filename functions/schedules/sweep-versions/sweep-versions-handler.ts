import {
  sweepStuckVersions,
  type VersionSweepPolicy,
  type VersionSweepReport,
} from '../../../shared/domain/datasets/ingestion/dispatch/sweep-stuck-versions';
import type { DispatchServices } from '../../../shared/domain/datasets/ingestion/dispatch/object-arrival';

/**
 * The dataset version sweep (schedules stack: daily with the other sweeps; locally every minute
 * and once at start): uploads whose link expired are taken in if the file came and failed with the
 * reason if not; ingestion jobs whose worker or message vanished are sent again, or failed with
 * the reason once their attempts or their time ran out.
 */
export function makeSweepVersionsHandler(
  getServices: () => DispatchServices | Promise<DispatchServices>,
  policy: VersionSweepPolicy = {},
): (event?: unknown) => Promise<VersionSweepReport> {
  return async () => sweepStuckVersions(await getServices(), policy);
}
