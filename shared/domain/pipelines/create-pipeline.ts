import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Database } from '../../db/database';
import { withOwner } from '../../db/owner-filter';
import type { PipelineActor } from './pipeline-actor';
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
  actor: PipelineActor,
  input: CreatePipelineInput,
): Promise<Pipeline> {
  return withOwner(db, actor.scope, async (trx) => {
    if (input.datasetId) await assertDatasetUsable(trx, actor.scope.userId, input.datasetId);
    if (input.mlTaskId) await assertMlTaskExists(trx, input.mlTaskId);
    const pipeline = await insertPipeline(trx, {
      ownerId: actor.scope.userId,
      name: input.name,
      description: input.description ?? null,
      datasetId: input.datasetId ?? null,
      mlTaskId: input.mlTaskId ?? null,
      definition: input.definition,
    });
    await recordAudit(
      trx,
      auditEntry(
        actor.origin,
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
