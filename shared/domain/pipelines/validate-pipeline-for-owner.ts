import type { DatabaseTransaction } from '../../db/database';
import { findOwnedDatasets } from './pipeline-repository';
import { loadNodeCatalog } from './node-type-repository';
import { pipelineDefinitionSchema } from './pipeline-definition';
import { sourceDatasetIds, validatePipeline, type PipelineValidationResult } from './validate-pipeline';
import { checkColumnReferences } from './validate-pipeline-columns';

export interface PipelineToCheck {
  /** Whose datasets the pipeline may read (null: a shipped template, which reads none). */
  ownerId: string | null;
  /** The pipeline's dataset (or the one a job runs on). */
  datasetId: string | null;
  definition: unknown;
}

/**
 * `validatePipeline` with its context read from the database: the catalog, the pipeline's
 * dataset and every dataset its sources name, restricted to the owner's live datasets. Runs in
 * the caller's transaction (`withTenant`). A valid result carries the definition with defaults
 * filled in: the form to snapshot and run.
 */
export async function validatePipelineForOwner(
  trx: DatabaseTransaction,
  pipeline: PipelineToCheck,
): Promise<PipelineValidationResult> {
  const catalog = await loadNodeCatalog(trx);
  const named = sourceDatasetIds(pipeline.definition);
  const datasets = pipeline.ownerId
    ? await findOwnedDatasets(
        trx,
        pipeline.ownerId,
        pipeline.datasetId ? [pipeline.datasetId, ...named] : named,
      )
    : new Map();
  const own = pipeline.datasetId ? datasets.get(pipeline.datasetId.toLowerCase()) : undefined;
  const result = validatePipeline(pipeline.definition, {
    catalog,
    datasets,
    dataset:
      own && pipeline.datasetId
        ? { id: pipeline.datasetId.toLowerCase(), modality: own.modality }
        : undefined,
  });
  if (pipeline.datasetId && !own) {
    // The pipeline's dataset was deleted after the pipeline chose it.
    const issue = {
      field: 'datasetId',
      code: 'PIPELINE.UNKNOWN_DATASET' as const,
      message: `Dataset ${pipeline.datasetId} was not found; choose another dataset for this pipeline.`,
    };
    return { valid: false, issues: [issue, ...result.issues] };
  }
  // The columns nodes name, against the pipeline dataset's current version.
  const columns = own && pipeline.datasetId ? await currentColumns(trx, pipeline.datasetId) : undefined;
  const parsed = pipelineDefinitionSchema.safeParse(pipeline.definition);
  if (!columns || !parsed.success || !pipeline.datasetId) return result;
  const columnIssues = checkColumnReferences(result.valid ? result.definition : parsed.data, {
    datasetId: pipeline.datasetId,
    columns,
  });
  if (columnIssues.length === 0) return result;
  return { valid: false, issues: [...result.issues, ...columnIssues] };
}

/**
 * The column names of a dataset's current version, or undefined when it has none validated or its
 * list is not complete (very wide tables list only their first columns).
 */
async function currentColumns(trx: DatabaseTransaction, datasetId: string): Promise<string[] | undefined> {
  const row = await trx
    .selectFrom('datasets')
    .innerJoin('dataset_versions', 'dataset_versions.id', 'datasets.current_version_id')
    .select(['dataset_versions.columns_metadata', 'dataset_versions.modality_metadata'])
    .where('datasets.id', '=', datasetId)
    .where('dataset_versions.status', '=', 'validated')
    .executeTakeFirst();
  if (!row || !Array.isArray(row.columns_metadata)) return undefined;
  const metadata = row.modality_metadata;
  if (typeof metadata === 'object' && metadata !== null && 'columnsListed' in metadata) return undefined;
  const names = row.columns_metadata.map((c) =>
    typeof c === 'object' && c !== null && 'name' in c && typeof c.name === 'string' ? c.name : undefined,
  );
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}
