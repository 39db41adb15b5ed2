import { ownerScope, withOwner } from '../../db/owner-filter';
import type { SignedInContext } from '../../kernel/request-context';
import { EXPORTS_QUEUE } from '../../kernel/work-queues';
import type { Services } from '../../ports/services';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import { estimateExportCredits, reserveExportCredits } from './export-credits';
import type { ExportMessage } from './export-message';
import type { ExportRecord, ExportSource } from './export-records';
import { insertExport } from './export-repository';
import type { ExportFormat, ExportOptions } from './export-table';
import { recordExportFailure } from './record-export-failure';
import { resolveExportSource } from './resolve-export-source';

export interface CreateExportRequest {
  source: ExportSource;
  format: ExportFormat;
  /** Parsed by `exportOptionsSchema(format)` (defaults applied). */
  options: ExportOptions;
}

export type CreateExportDeps = Pick<Services, 'db' | 'queues' | 'ids' | 'clock'>;

const NOT_QUEUED = {
  code: 'EXPORT.NOT_QUEUED',
  message:
    'The export could not be queued and was not started; your credits were returned. Send the request again.',
} as const;

/**
 * `POST /exports`: checks the source is the caller's table, holds the estimate from their credits
 * (402 when short) and records the export as queued, in one transaction; then sends it to the
 * exports queue. The message goes after the commit, so the worker always finds the export it
 * names. A send that fails ends the export (failed, refunded in full) and answers 503 to retry; a
 * process lost between the commit and the send leaves a queued export that the sweep sends again.
 */
export async function createExport(
  deps: CreateExportDeps,
  context: SignedInContext,
  request: CreateExportRequest,
): Promise<ExportRecord> {
  const { caller } = context;
  const created = await withOwner(deps.db, caller, async (trx) => {
    const table = await resolveExportSource(trx, caller, request.source);
    const exportId = deps.ids.uuid();
    const estimate = estimateExportCredits(request.format, table.rows);
    const reserved = await reserveExportCredits(trx, {
      exportId,
      userId: caller.userId,
      credits: estimate,
      format: request.format,
      rows: table.rows,
    });
    const record = await insertExport(trx, {
      id: exportId,
      userId: caller.userId,
      source: request.source,
      format: request.format,
      options: request.options,
      creditsReserved: reserved,
    });
    await recordAudit(
      trx,
      auditEntry(
        context,
        'export.create',
        { type: 'export', id: exportId },
        { format: request.format, source: request.source, rows: table.rows, creditsReserved: reserved },
      ),
    );
    return record;
  });
  const message: ExportMessage = { exportId: created.id, userId: caller.userId };
  try {
    await deps.queues.send(EXPORTS_QUEUE, message);
  } catch (error) {
    await recordExportFailure(deps, ownerScope(caller), message, NOT_QUEUED, 0);
    throw error;
  }
  return created;
}
