import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { ownerScope, withOwner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { Clock } from '../../kernel/clock.port';
import type { SignedInContext } from '../../kernel/request-context';
import { findPipelineForChange, softDeletePipeline } from './pipeline-repository';
import { TemplateReadOnlyError } from './update-pipeline';

/**
 * Soft-deletes a pipeline. Its jobs stay readable: they point at immutable snapshots (separate
 * rows this never touches), and their `pipeline_id` survives until the purge removes the row.
 */
export async function deletePipeline(
  { db, clock }: { db: Database; clock: Clock },
  context: SignedInContext,
  id: string,
): Promise<void> {
  await withOwner(db, ownerScope(context.caller), async (trx) => {
    const current = await findPipelineForChange(trx, ownerScope(context.caller), id);
    if (!current) throw new NotFoundError('Pipeline', id);
    if (current.isTemplate) throw new TemplateReadOnlyError(id);
    if (!(await softDeletePipeline(trx, ownerScope(context.caller), id, clock.now())))
      throw new NotFoundError('Pipeline', id);
    await recordAudit(
      trx,
      auditEntry(context, 'pipeline.delete', { type: 'pipeline', id }, { name: current.name }),
    );
  });
}
