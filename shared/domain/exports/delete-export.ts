import { withOwner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { SignedInContext } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { objectKeys } from '../../storage/object-keys';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import { settleExportCredits } from './export-credits';
import { deleteExportRow } from './export-repository';

export type DeleteExportDeps = Pick<Services, 'db' | 'blobs' | 'logger'>;

/**
 * `DELETE /exports/{id}`: the row goes (an export still queued or running gets its credits back in
 * full, and its worker, finding no row, removes what it wrote), then every object under the
 * export's prefix. As for models, a failure to delete the objects leaves them for the account
 * purge rather than a row without files.
 */
export async function deleteExport(
  deps: DeleteExportDeps,
  context: SignedInContext,
  exportId: string,
): Promise<void> {
  const { caller } = context;
  const deleted = await withOwner(deps.db, caller, async (trx) => {
    const row = await deleteExportRow(trx, caller, exportId);
    if (!row) throw new NotFoundError('Export', exportId);
    const unfinished = row.status === 'queued' || row.status === 'running';
    if (unfinished) await settleExportCredits(trx, { exportId, userId: caller.userId, usedCredits: 0 });
    await recordAudit(
      trx,
      auditEntry(
        context,
        'export.delete',
        { type: 'export', id: exportId },
        { format: row.format, status: row.status, sizeBytes: row.sizeBytes },
      ),
    );
    return row;
  });
  try {
    const removed = await deps.blobs.deletePrefix(objectKeys.exportPrefix(caller.userId, exportId));
    deps.logger.info('export deleted', { exportId, status: deleted.status, objectsRemoved: removed });
  } catch (error) {
    deps.logger.error('export objects were not deleted', {
      exportId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
