import { auditEntry, diffChanges, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { ownerScope, withOwner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import { canonicalJson } from '../../kernel/canonical-json';
import type { SignedInContext } from '../../kernel/request-context';
import type { PipelineDefinition } from './pipeline-definition';
import { assertDatasetUsable, assertMlTaskExists } from './pipeline-references';
import {
  findPipelineForChange,
  updatePipeline as updatePipelineRow,
  type Pipeline,
  type PipelineChanges,
} from './pipeline-repository';

export interface UpdatePipelineInput {
  name?: string | undefined;
  description?: string | null | undefined;
  datasetId?: string | null | undefined;
  mlTaskId?: string | null | undefined;
  definition?: PipelineDefinition | undefined;
  /** Archive, or bring back to draft. `validated` is reached only through validation. */
  status?: 'draft' | 'archived' | undefined;
  /** Optimistic concurrency: the version the client last read; a newer one answers 409. */
  version?: number | undefined;
}

export class TemplateReadOnlyError extends ConflictError {
  constructor(id: string) {
    super(
      'PIPELINE.TEMPLATE_READ_ONLY',
      `Pipeline ${id} is a template and cannot be changed; clone it first.`,
    );
  }
}

/**
 * Edits a pipeline. Changing what it runs (the definition or the dataset) returns it to draft:
 * an earlier validation no longer vouches for it. The database moves `version` on when the
 * definition changes.
 */
export async function updatePipeline(
  db: Database,
  context: SignedInContext,
  id: string,
  input: UpdatePipelineInput,
): Promise<Pipeline> {
  return withOwner(db, ownerScope(context.caller), async (trx) => {
    const current = await findPipelineForChange(trx, ownerScope(context.caller), id);
    if (!current) throw new NotFoundError('Pipeline', id);
    if (current.isTemplate) throw new TemplateReadOnlyError(id);
    if (input.version !== undefined && input.version !== current.version) {
      throw new ConflictError(
        'PIPELINE.VERSION_CONFLICT',
        `Pipeline ${id} is at version ${current.version}, not ${input.version}: read it again and reapply your change.`,
        { field: 'body.version', details: { currentVersion: current.version } },
      );
    }
    const ownerId = current.ownerId ?? context.caller.userId;
    if (input.datasetId) await assertDatasetUsable(trx, ownerId, input.datasetId);
    if (input.mlTaskId) await assertMlTaskExists(trx, input.mlTaskId);

    const definitionChanged =
      input.definition !== undefined && canonicalJson(input.definition) !== canonicalJson(current.definition);
    const datasetChanged = input.datasetId !== undefined && input.datasetId !== current.datasetId;
    const changes: PipelineChanges = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.mlTaskId !== undefined ? { mlTaskId: input.mlTaskId } : {}),
      ...(datasetChanged ? { datasetId: input.datasetId } : {}),
      ...(definitionChanged ? { definition: input.definition } : {}),
    };
    if (definitionChanged || datasetChanged || input.status === 'draft') {
      Object.assign(changes, { status: 'draft', validatedAt: null, validationErrors: null });
    }
    if (input.status === 'archived') changes.status = 'archived';
    if (Object.keys(changes).length === 0) return current;

    const updated = await updatePipelineRow(trx, ownerScope(context.caller), id, changes);
    if (!updated) throw new NotFoundError('Pipeline', id);
    await recordAudit(
      trx,
      auditEntry(
        context,
        'pipeline.update',
        { type: 'pipeline', id },
        diffChanges(
          {
            name: current.name,
            description: current.description,
            datasetId: current.datasetId,
            mlTaskId: current.mlTaskId,
            status: current.status,
            version: current.version,
          },
          {
            name: updated.name,
            description: updated.description,
            datasetId: updated.datasetId,
            mlTaskId: updated.mlTaskId,
            status: updated.status,
            version: updated.version,
          },
        ),
      ),
    );
    return updated;
  });
}
