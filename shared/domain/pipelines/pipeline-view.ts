import * as z from 'zod';
import { PIPELINE_STATUSES } from '../../db/schema';
import type { Pipeline } from './pipeline-repository';
import { PIPELINE_ISSUE_CODES } from './validate-pipeline';

/** A pipeline as the API shows it (the response schema and the mapping from the domain object). */
export const pipelineIssueSchema = z
  .object({
    field: z.string().meta({ description: 'What to fix, e.g. `nodes[split-1].params.testFraction`' }),
    code: z.enum(PIPELINE_ISSUE_CODES),
    message: z.string(),
    nodeId: z.string().optional(),
  })
  .meta({ id: 'PipelineIssue' });

export const pipelineViewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    datasetId: z.uuid().nullable(),
    mlTaskId: z.uuid().nullable(),
    definition: z.record(z.string(), z.unknown()).meta({ description: 'A PipelineDefinition, as written' }),
    status: z.enum(PIPELINE_STATUSES),
    version: z.number().int().meta({ description: 'Revision of the definition' }),
    isTemplate: z.boolean(),
    templateKey: z.string().nullable(),
    validationErrors: z.array(pipelineIssueSchema).nullable(),
    validatedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Pipeline' });

export function pipelineView(pipeline: Pipeline) {
  return {
    id: pipeline.id,
    name: pipeline.name,
    description: pipeline.description,
    datasetId: pipeline.datasetId,
    mlTaskId: pipeline.mlTaskId,
    definition: pipeline.definition,
    status: pipeline.status,
    version: pipeline.version,
    isTemplate: pipeline.isTemplate,
    templateKey: pipeline.templateKey,
    validationErrors: pipeline.validationErrors,
    validatedAt: pipeline.validatedAt?.toISOString() ?? null,
    createdAt: pipeline.createdAt.toISOString(),
    updatedAt: pipeline.updatedAt.toISOString(),
  };
}
