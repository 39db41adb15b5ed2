import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { ownerScope, withOwner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { Clock } from '../../kernel/clock.port';
import { clip, fitPrefix } from '../../kernel/bounded-json';
import type { SignedInContext } from '../../kernel/request-context';
import { findPipelineForChange, updatePipeline, type Pipeline } from './pipeline-repository';
import type { PipelineIssue } from './validate-pipeline';
import { validatePipelineForOwner } from './validate-pipeline-for-owner';

/** How many issues a pipeline row keeps (the answer has them all); bounds the row's size. */
export const MAX_STORED_ISSUES = 100;
/** Beside a definition of up to MAX_DEFINITION_BYTES, within the Data API's 64 KB row. */
export const STORED_ISSUES_LIMIT_BYTES = 8 * 1024;

function storedIssues(issues: readonly PipelineIssue[]): PipelineIssue[] {
  const clipped = issues
    .slice(0, MAX_STORED_ISSUES)
    .map((issue) => ({ ...issue, field: clip(issue.field, 300), message: clip(issue.message, 500) }));
  return fitPrefix(clipped, STORED_ISSUES_LIMIT_BYTES);
}

export interface StoredValidation {
  valid: boolean;
  issues: PipelineIssue[];
  pipeline: Pipeline;
}

/**
 * `POST /pipelines/{id}/validate`: checks the pipeline against the catalog and its owner's
 * datasets and records the outcome on the row: valid → `validated` with `validated_at`;
 * invalid → back to `draft` with the issues. An archived pipeline stays archived either way.
 * A template is checked but, being read-only, not changed.
 */
export async function validateStoredPipeline(
  { db, clock }: { db: Database; clock: Clock },
  context: SignedInContext,
  id: string,
): Promise<StoredValidation> {
  return withOwner(db, ownerScope(context.caller), async (trx) => {
    const pipeline = await findPipelineForChange(trx, ownerScope(context.caller), id);
    if (!pipeline) throw new NotFoundError('Pipeline', id);
    const result = await validatePipelineForOwner(trx, {
      ownerId: pipeline.ownerId,
      datasetId: pipeline.datasetId,
      definition: pipeline.definition,
    });
    if (pipeline.isTemplate) return { valid: result.valid, issues: result.issues, pipeline };

    const keepArchived = pipeline.status === 'archived';
    const updated = await updatePipeline(trx, ownerScope(context.caller), id, {
      ...(keepArchived ? {} : { status: result.valid ? 'validated' : 'draft' }),
      validatedAt: result.valid ? clock.now() : null,
      validationErrors: result.valid ? null : storedIssues(result.issues),
    });
    if (!updated) throw new NotFoundError('Pipeline', id);
    await recordAudit(
      trx,
      auditEntry(
        context,
        'pipeline.validate',
        { type: 'pipeline', id },
        {
          valid: result.valid,
          issues: result.issues.length,
          version: pipeline.version,
        },
      ),
    );
    return { valid: result.valid, issues: result.issues, pipeline: updated };
  });
}
