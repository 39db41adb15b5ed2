import { sweepQuietExports, type ExportSweepReport } from '../../../shared/domain/exports/sweep-exports';
import type { Services } from '../../../shared/ports/services';

/** What the export sweep uses of the services. */
export type SweepExportsServices = Pick<Services, 'db' | 'blobs' | 'queues' | 'clock' | 'logger'>;

/**
 * The export sweep (exports stack: daily with the other sweeps; locally every minute): queued
 * exports that may have lost their message are sent again; unfinished exports whose worker went
 * quiet for longer than their message can live are failed, refunded in full and their partial
 * files removed.
 */
export function makeSweepExportsHandler(
  getServices: () => SweepExportsServices | Promise<SweepExportsServices>,
  options: { quietAfterMs?: number; requeueAfterMs?: number } = {},
): (event?: unknown) => Promise<ExportSweepReport> {
  return async () => sweepQuietExports(await getServices(), options);
}
