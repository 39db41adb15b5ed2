import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { ownerScope, withOwner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { SignedInContext } from '../../kernel/request-context';
import { assertDatasetUsable } from './pipeline-references';
import { findPipeline, insertPipeline, type Pipeline } from './pipeline-repository';

export interface ClonePipelineInput {
  name?: string | undefined;
  /** The dataset the copy runs on; sources without a datasetId read it. */
  datasetId?: string | undefined;
}

const MAX_NAME = 255;

/**
 * Copies a pipeline the caller can read (their own, or a template) into a new draft owned by the
 * caller. The copy keeps the source's dataset only when the caller owns the source.
 */
export async function clonePipeline(
  db: Database,
  context: SignedInContext,
  id: string,
  input: ClonePipelineInput,
): Promise<Pipeline> {
  return withOwner(db, ownerScope(context.caller), async (trx) => {
    const source = await findPipeline(trx, ownerScope(context.caller), id);
    if (!source) throw new NotFoundError('Pipeline', id);
    if (input.datasetId) await assertDatasetUsable(trx, context.caller.userId, input.datasetId);
    const datasetId = input.datasetId ?? (source.ownerId === context.caller.userId ? source.datasetId : null);
    const copy = await insertPipeline(trx, {
      ownerId: context.caller.userId,
      name: input.name ?? copyName(source.name),
      description: source.description,
      datasetId,
      mlTaskId: source.mlTaskId,
      definition: source.definition,
    });
    await recordAudit(
      trx,
      auditEntry(
        context,
        'pipeline.clone',
        { type: 'pipeline', id: copy.id },
        {
          from: source.id,
          fromTemplate: source.templateKey ?? undefined,
          datasetId,
        },
      ),
    );
    return copy;
  });
}

function copyName(name: string): string {
  const suffix = ' (copy)';
  return [...name].length + suffix.length <= MAX_NAME
    ? `${name}${suffix}`
    : `${[...name].slice(0, MAX_NAME - suffix.length).join('')}${suffix}`;
}
