import { withSystemScope } from '../../db/tenant';
import { EXPORTS_QUEUE } from '../../kernel/work-queues';
import type { Services } from '../../ports/services';
import { objectKeys } from '../../storage/object-keys';
import type { ExportMessage } from './export-message';
import { findQuietExports, listUnfinishedExports } from './export-repository';
import { recordExportFailure } from './record-export-failure';

/**
 * Nothing stays queued or running for ever. An attempt that crashes is retried when SQS delivers
 * its message again, and the last attempt fails the export itself; what is left is found here:
 * - a queued export nothing has touched for a while may have lost its message (a process stopped
 *   between creating it and sending it): it is sent again — a second message for an export that
 *   is running or finished is skipped by the worker;
 * - an unfinished export nothing has touched for longer than its message can live (the exports
 *   queue's retention) is failed, refunded in full, and its partial files removed.
 */
export const EXPORT_QUIET_AFTER_MS = 6 * 3600 * 1000;
export const EXPORT_REQUEUE_AFTER_MS = 15 * 60 * 1000;
const SWEEP_BATCH = 100;

const LOST = {
  code: 'EXPORT.LOST',
  message:
    'The export stopped without finishing (its worker went quiet) and was given up; your credits were returned. Create it again.',
} as const;

export interface ExportSweepReport {
  failed: string[];
  requeued: string[];
}

export async function sweepQuietExports(
  services: Pick<Services, 'db' | 'blobs' | 'queues' | 'clock' | 'logger'>,
  options: { quietAfterMs?: number; requeueAfterMs?: number } = {},
): Promise<ExportSweepReport> {
  const now = services.clock.now().getTime();
  const giveUpBefore = new Date(now - (options.quietAfterMs ?? EXPORT_QUIET_AFTER_MS));
  const requeueBefore = new Date(now - (options.requeueAfterMs ?? EXPORT_REQUEUE_AFTER_MS));
  const { lost, waiting } = await withSystemScope(services.db, 'schedule.sweep-exports', async (trx) => ({
    lost: await findQuietExports(trx, giveUpBefore, ['queued', 'running'], SWEEP_BATCH),
    waiting: await findQuietExports(trx, requeueBefore, ['queued'], SWEEP_BATCH),
  }));
  const failed: string[] = [];
  for (const record of lost) {
    const message: ExportMessage = { exportId: record.id, userId: record.userId };
    if (!(await recordExportFailure(services, { userId: record.userId, role: 'user' }, message, LOST, 0)))
      continue;
    failed.push(record.id);
    try {
      await services.blobs.deletePrefix(objectKeys.exportPrefix(record.userId, record.id));
    } catch (error) {
      services.logger.warn('could not remove the files of a swept export', { exportId: record.id, error });
    }
  }
  const requeued: string[] = [];
  for (const record of waiting) {
    if (failed.includes(record.id)) continue;
    const message: ExportMessage = { exportId: record.id, userId: record.userId };
    await services.queues.send(EXPORTS_QUEUE, message);
    requeued.push(record.id);
  }
  if (failed.length > 0) services.logger.warn('quiet exports failed and refunded', { exportIds: failed });
  if (requeued.length > 0) services.logger.info('queued exports sent again', { exportIds: requeued });
  return { failed, requeued };
}

/**
 * On one machine the queues live in memory: after a restart no message exists for an export that
 * was queued or running, so the platform sends each one again when it starts (a message for an
 * export that finished meanwhile is skipped by the worker).
 */
export async function requeueUnfinishedExports(
  services: Pick<Services, 'db' | 'queues' | 'logger'>,
): Promise<number> {
  const unfinished = await withSystemScope(services.db, 'schedule.requeue-exports', listUnfinishedExports);
  for (const message of unfinished) await services.queues.send(EXPORTS_QUEUE, message);
  if (unfinished.length > 0)
    services.logger.info('unfinished exports sent again', { count: unfinished.length });
  return unfinished.length;
}
