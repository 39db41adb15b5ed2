import type { DatabaseTransaction } from '../../db/database';
import { jsonb } from '../../db/schema';
import { withOwner, type Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError, ValidationError } from '../../kernel/app-error';
import { nodeTypeRowSchema, toNodeCatalog } from '../pipelines/node-type';
import { validatePipeline } from '../pipelines/validate-pipeline';
import { toSnapshotNodeType } from '../runs/job-records';
import { insertSnapshot } from '../runs/pipeline-snapshot-repository';
import { createJobFromSnapshot, createOncePerKey, type StartJobDeps } from '../runs/start-job';
import { dinsightConfigSchema, type DinsightConfig } from '../monitoring/dinsight-config';
import {
  requireEnoughRows,
  requireSameFeatures,
  resolveFeatureLayout,
  type ColumnKind,
} from '../monitoring/feature-layout';

/**
 * Starting an analysis: a baseline map of a dataset version (`POST /analyses`) or a monitoring
 * run of a version against a completed baseline (`POST /analyses/{id}/monitor`, automatic
 * monitoring). Each is a job of two nodes — the dataset version as a source, then the analysis
 * node — started through the same path as every job (snapshot, estimate, credit reservation,
 * execution), with the analysis row created in the same transaction.
 */
export type AnalysisRequest =
  | { kind: 'baseline'; datasetVersionId: string; config: unknown }
  | { kind: 'monitoring'; datasetVersionId: string; baselineAnalysisId: string };

export interface StartedAnalysis {
  analysisId: string;
  jobId: string;
  created: boolean;
}

export async function startAnalysis(
  deps: StartJobDeps,
  caller: Owner,
  request: AnalysisRequest,
  idempotencyKey?: string,
): Promise<StartedAnalysis> {
  const key = idempotencyKey ? `analysis:${idempotencyKey}` : null;
  const started = await createOncePerKey(
    deps,
    caller,
    key,
    (existing) => ({ job: existing, created: false }),
    async (trx, jobId) => {
      const version = await loadVersion(trx, caller.userId, request.datasetVersionId);
      let config: DinsightConfig;
      let baselineId: string | null = null;
      if (request.kind === 'baseline') {
        const parsed = dinsightConfigSchema.safeParse(request.config ?? {});
        if (!parsed.success) {
          throw new ValidationError('The analysis configuration is not valid.', {
            code: 'ANALYSIS.CONFIG_INVALID',
            issues: parsed.error.issues.map((issue) => ({
              field: ['body', 'config', ...issue.path.map(String)].join('.'),
              message: issue.message,
            })),
          });
        }
        config = parsed.data;
        const columns = knownColumns(version);
        if (columns) resolveFeatureLayout(columns, config, 'body.config');
        requireEnoughRows(version.rowCount, 'body.datasetVersionId');
      } else {
        const baseline = await trx
          .selectFrom('analyses')
          .select(['id', 'status', 'config', 'summary', 'analysis_type', 'dataset_id'])
          .where('id', '=', request.baselineAnalysisId)
          .where('user_id', '=', caller.userId)
          .executeTakeFirst();
        if (!baseline || baseline.analysis_type === 'monitoring')
          throw new NotFoundError('Analysis', request.baselineAnalysisId);
        if (baseline.status !== 'completed') {
          throw new ConflictError(
            'ANALYSIS.BASELINE_NOT_READY',
            `Analysis ${baseline.id} is ${baseline.status}; monitor once it has completed.`,
          );
        }
        config = dinsightConfigSchema.parse(baseline.config);
        baselineId = baseline.id;
        const featureNames = (baseline.summary as { allFeatureNames?: unknown } | null)?.allFeatureNames;
        const columns = knownColumns(version);
        if (columns && Array.isArray(featureNames)) {
          requireSameFeatures(featureNames.map(String), columns, config, 'body.datasetVersionId');
        }
      }
      const analysisId = deps.services.ids.uuid();
      const nodeType = request.kind === 'baseline' ? 'monitoring.dinsight' : 'monitoring.dinsight_monitor';
      const definition = {
        nodes: [
          {
            id: 'source',
            type: 'dataset.source',
            params: { datasetId: version.datasetId, version: version.versionNumber },
          },
          {
            id: 'analysis',
            type: nodeType,
            params: { analysisId, expectedRows: version.rowCount, expectedFeatures: version.columnCount },
          },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'analysis', port: 'table' } }],
      };
      const catalog = toNodeCatalog(
        (
          await trx
            .selectFrom('node_types')
            .selectAll()
            .where('key', 'in', ['dataset.source', nodeType])
            .execute()
        ).map((row) => nodeTypeRowSchema.parse(row)),
      );
      const validation = validatePipeline(definition, {
        catalog,
        dataset: { id: version.datasetId, modality: version.modality },
        datasets: new Map([[version.datasetId, { modality: version.modality }]]),
      });
      if (!validation.valid) {
        throw new ValidationError(
          `Dataset version ${version.id} cannot be analysed: ${validation.issues[0]?.message ?? 'invalid'}.`,
          {
            code: 'ANALYSIS.NOT_ANALYSABLE',
            field: 'body.datasetVersionId',
          },
        );
      }
      const snapshot = await insertSnapshot(trx, {
        userId: caller.userId,
        pipelineId: null,
        pipelineVersion: 1,
        name: request.kind === 'baseline' ? 'DInsight baseline map' : 'DInsight monitoring',
        definition: validation.definition,
        nodeTypes: Object.fromEntries(
          Object.entries(validation.nodeTypes).map(([k, t]) => [k, toSnapshotNodeType(t)]),
        ),
      });
      const job = await createJobFromSnapshot(deps, trx, {
        jobId,
        userId: caller.userId,
        snapshot,
        datasetVersionId: version.id,
        datasetRows: version.rowCount,
        priority: 5,
        idempotencyKey: key,
        pipelineId: null,
      });
      await trx
        .insertInto('analyses')
        .values({
          id: analysisId,
          user_id: caller.userId,
          dataset_id: version.datasetId,
          dataset_version_id: version.id,
          baseline_analysis_id: baselineId,
          job_id: job.id,
          analysis_type: request.kind === 'baseline' ? 'dimensionality_reduction' : 'monitoring',
          status: 'pending',
          config: jsonb(config),
          gamma0: config.gamma0,
          optimizer: config.optimizer,
          alpha: config.alpha,
          end_meta: config.endMeta ?? '',
          start_dim: config.startDim,
          end_dim: config.endDim,
          imax: config.imax,
          lowdim: config.lowdim,
          eta: config.eta,
          epsilon: config.epsilon,
          beta1: config.beta1,
          beta2: config.beta2,
          beta: config.beta,
          a: config.a,
          w1: config.w1,
          w2: config.w2,
          which_w1: config.whichW1,
          mode: config.mode,
          param_mode: config.paramMode,
        })
        .execute();
      return job;
    },
  );
  const row = await withOwner(deps.services.db, caller, (trx) =>
    trx.selectFrom('analyses').select('id').where('job_id', '=', started.job.id).executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('Analysis of job', started.job.id);
  return { analysisId: row.id, jobId: started.job.id, created: started.created };
}

interface VersionFacts {
  id: string;
  datasetId: string;
  versionNumber: number;
  modality: 'tabular' | 'text' | 'image' | 'audio' | 'video' | 'timeseries' | 'seismic' | 'multimodal';
  rowCount: number;
  columnCount: number;
  columns: unknown;
}

async function loadVersion(
  trx: DatabaseTransaction,
  userId: string,
  datasetVersionId: string,
): Promise<VersionFacts> {
  const version = await trx
    .selectFrom('dataset_versions as v')
    .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
    .select([
      'v.id',
      'v.dataset_id',
      'v.version_number',
      'v.status',
      'v.processed_object_key',
      'v.row_count',
      'v.column_count',
      'v.columns_metadata',
      'd.modality',
    ])
    .where('v.id', '=', datasetVersionId)
    .where('v.user_id', '=', userId)
    .where('d.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!version)
    throw new NotFoundError('Dataset version', datasetVersionId, { field: 'body.datasetVersionId' });
  if (version.status !== 'validated' || !version.processed_object_key) {
    throw new ConflictError(
      'DATASET_VERSION.NOT_READY',
      `Dataset version ${datasetVersionId} is ${version.status}; an analysis needs a validated version.`,
      { field: 'body.datasetVersionId' },
    );
  }
  return {
    id: version.id,
    datasetId: version.dataset_id,
    versionNumber: version.version_number,
    modality: version.modality,
    rowCount: version.row_count ?? 0,
    columnCount: version.column_count ?? 0,
    columns: version.columns_metadata,
  };
}

const NUMERIC_TYPE = /int|float|double|decimal|numeric|number|real/i;

/** The version's columns when ingestion listed all of them with their types; undefined otherwise. */
function knownColumns(version: VersionFacts): ColumnKind[] | undefined {
  if (!Array.isArray(version.columns) || version.columns.length !== version.columnCount) return undefined;
  const out: ColumnKind[] = [];
  for (const entry of version.columns as unknown[]) {
    if (entry === null || typeof entry !== 'object') return undefined;
    const record = entry as Record<string, unknown>;
    const type = record['type'] ?? record['dataType'] ?? record['inferredType'];
    if (typeof record['name'] !== 'string' || typeof type !== 'string') return undefined;
    out.push({ name: record['name'], numeric: NUMERIC_TYPE.test(type) });
  }
  return out;
}
