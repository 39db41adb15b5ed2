import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { ownerScope, withOwner } from '../../db/owner-filter';
import type { SignedInContext } from '../../kernel/request-context';
import type { PipelineDefinition } from './pipeline-definition';
import { assertDatasetUsable, assertMlTaskExists } from './pipeline-references';
import { insertPipeline, type Pipeline } from './pipeline-repository';

export interface CreatePipelineInput {
  name: string;
  description?: string | null | undefined;
  datasetId?: string | null | undefined;
  mlTaskId?: string | null | undefined;
  /** Structure already checked (pipelineDefinitionSchema); the catalog check is `validate`. */
  definition: PipelineDefinition;
}

/** A new draft pipeline owned by the caller. */
export async function createPipeline(
  db: Database,
  context: SignedInContext,
  input: CreatePipelineInput,
): Promise<Pipeline> {
  return withOwner(db, ownerScope(context.caller), async (trx) => {
    if (input.datasetId) await assertDatasetUsable(trx, context.caller.userId, input.datasetId);
    if (input.mlTaskId) await assertMlTaskExists(trx, input.mlTaskId);
    const pipeline = await insertPipeline(trx, {
      ownerId: context.caller.userId,
      name: input.name,
      description: input.description ?? null,
      datasetId: input.datasetId ?? null,
      mlTaskId: input.mlTaskId ?? null,
      definition: input.definition,
    });
    await recordAudit(
      trx,
      auditEntry(
        context,
        'pipeline.create',
        { type: 'pipeline', id: pipeline.id },
        {
          name: pipeline.name,
          datasetId: pipeline.datasetId,
          nodes: input.definition.nodes.length,
        },
      ),
    );
    return pipeline;
  });
}
