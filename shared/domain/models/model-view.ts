import * as z from 'zod';
import { MODEL_STAGES, TASK_TYPES } from '../../db/schema';
import type { Model } from './model-repository';

/** A trained model as the API shows it: what it is, how it scored and where it came from. */
export const modelViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z
      .number()
      .int()
      .meta({ description: 'Per registered name: 1, 2, 3, … in the order its models were registered' }),
    algorithm: z.string(),
    problemType: z.enum(TASK_TYPES).nullable(),
    frameworkVersion: z.string().nullable(),
    stage: z.enum(MODEL_STAGES),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    aliases: z.array(z.string()).meta({ description: 'The aliases of the name pointing at this version' }),
    isProduction: z.boolean().meta({ description: 'Whether the `production` alias points at this version' }),
    deployedAt: z
      .string()
      .nullable()
      .meta({ description: 'When the `production` alias was set to this version' }),
    metrics: z.record(z.string(), z.unknown()),
    hyperparameters: z.record(z.string(), z.unknown()),
    featureSchema: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'Ordered input columns with types and categories, label classes' }),
    artifact: z.object({
      key: z.string(),
      sizeBytes: z.number().int().nullable(),
      sha256: z.string().nullable(),
    }),
    lineage: z.object({
      jobId: z.string().nullable(),
      nodeId: z.string().nullable(),
      pipelineId: z.string().nullable(),
      experimentId: z.string().nullable(),
      experimentRunId: z.string().nullable(),
      datasetVersion: z
        .object({
          id: z.string(),
          datasetId: z.string().nullable(),
          version: z.number().int().nullable(),
          sha256: z.string().nullable(),
        })
        .nullable()
        .meta({ description: 'The version the training rows came from' }),
      seed: z.number().int().nullable(),
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'Model' });

export type ModelView = z.infer<typeof modelViewSchema>;

/** The alias that marks a name's production version. */
export const PRODUCTION_ALIAS = 'production';

export function modelView(model: Model): ModelView {
  const { lineage } = model;
  const production = model.aliases.find((a) => a.alias === PRODUCTION_ALIAS);
  return {
    id: model.id,
    name: model.name,
    version: model.version,
    algorithm: model.algorithm,
    problemType: model.problemType,
    frameworkVersion: model.frameworkVersion,
    stage: model.stage,
    description: model.description,
    tags: model.tags,
    aliases: model.aliases.map((a) => a.alias),
    isProduction: production !== undefined,
    deployedAt: production ? production.updatedAt.toISOString() : null,
    metrics: model.metrics,
    hyperparameters: model.hyperparameters,
    featureSchema: model.featureSchema,
    artifact: { key: model.artifactKey, sizeBytes: model.artifactSizeBytes, sha256: model.artifactSha256 },
    lineage: {
      jobId: lineage.jobId,
      nodeId: lineage.nodeId,
      pipelineId: lineage.pipelineId,
      experimentId: lineage.experimentId,
      experimentRunId: lineage.experimentRunId,
      datasetVersion: lineage.datasetVersionId
        ? {
            id: lineage.datasetVersionId,
            datasetId: lineage.datasetId,
            version: lineage.datasetVersionNumber,
            sha256: lineage.datasetVersionSha256,
          }
        : null,
      seed: lineage.seed,
    },
    createdAt: model.createdAt.toISOString(),
  };
}
