import * as z from 'zod';
import { AppError } from '../../../../kernel/app-error';
import {
  createTable,
  numberColumn,
  stringColumn,
  type Table,
  type TableColumn,
} from '../../../learning/table';
import {
  buildBaselineModel,
  monitorRows,
  summariseBaseline,
  type BaselineModel,
} from '../../../monitoring/baseline-model';
import { decodeBaselineModel, encodeBaselineModel } from '../../../monitoring/baseline-model-file';
import { dinsightConfigSchema, type DinsightConfig } from '../../../monitoring/dinsight-config';
import { featureMatrix, type FeatureMatrix } from '../../../monitoring/feature-matrix';
import {
  requireCompleteFeatures,
  requireEnoughRows,
  requireSameFeatures,
  resolveFeatureLayout,
} from '../../../monitoring/feature-layout';
import { scatterPlotSvg, type ScatterPoint } from '../../../monitoring/scatter-plot-svg';
import type { MonitoringRecords } from '../../monitoring-records.port';
import { defineNode, type NodeContext, type NodeInputs } from '../../node-definition';
import { NodeCancelledError, NodeError } from '../../node-errors';
import { frameKindOf, readFrame, writeFrameOutput } from '../../table-frames';
import { countRows, describeColumns, downloadInput, type ColumnInfo } from '../../table-io';

/**
 * The two analysis nodes of monitoring. `monitoring.dinsight` maps a baseline version (DInsight's
 * map, the feature-space scorer and the reference statistics, stored as one model file) and
 * `monitoring.dinsight_monitor` places a new version on that fixed map, scores every row, tests
 * every feature for drift and records the anomalies. Each computes the analysis named by its
 * params, which the job that runs it was created for.
 */

/** Above this many rows (or cells), the map's O(n²) fit is sent to Fargate. */
export const LAMBDA_MAX_ROWS = 2_000;
export const LAMBDA_MAX_CELLS = 4_000_000;

const sizeHint = {
  expectedRows: z.number().int().min(0).optional().describe('Rows of the version (placement only)'),
  expectedFeatures: z.number().int().min(0).optional().describe('Feature columns (placement only)'),
};

const needsFargate = (p: { expectedRows?: number | undefined; expectedFeatures?: number | undefined }) =>
  (p.expectedRows ?? 0) > LAMBDA_MAX_ROWS ||
  (p.expectedRows ?? 0) * (p.expectedFeatures ?? 0) > LAMBDA_MAX_CELLS
    ? ('fargate' as const)
    : undefined;

function recordsOf(context: NodeContext): MonitoringRecords {
  if (!context.monitoring)
    throw new NodeError('This host cannot record analyses; run the job on the platform.');
  return context.monitoring;
}

/** Problems a person can act on (a missing column, too few rows) become the node's error. */
async function asNodeProblem<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.status < 500) throw new NodeError(error.message, error.field);
    throw error;
  }
}

interface ReadTable {
  featureNames: string[];
  metadata: Table;
  features: FeatureMatrix;
  rows: number;
}

async function readAnalysisTable(
  context: NodeContext,
  inputs: NodeInputs,
  pick: (columns: ColumnInfo[]) => { features: string[]; metadata: string[] },
): Promise<ReadTable> {
  const file = await downloadInput(context, inputs, 'table');
  const columns = await describeColumns(context, file);
  const chosen = await asNodeProblem(() => pick(columns));
  const rows = await countRows(context, file);
  await asNodeProblem(() => requireEnoughRows(rows));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const featureColumns = chosen.features.map((name) => byName.get(name)).filter((c): c is ColumnInfo => !!c);
  const frame = await readFrame(context, file, { columns: featureColumns });
  const values = new Float64Array(rows * featureColumns.length);
  const raw: Float64Array[] = [];
  frame.columns.forEach((column, f) => {
    const data = column.kind === 'string' ? new Float64Array(rows).fill(NaN) : column.values;
    raw.push(data);
    for (let i = 0; i < rows; i += 1) values[i * featureColumns.length + f] = data[i] ?? NaN;
  });
  await asNodeProblem(() => requireCompleteFeatures(chosen.features, raw, 'datasetVersionId'));
  const metadataColumns = chosen.metadata.map((name) => byName.get(name)).filter((c): c is ColumnInfo => !!c);
  const metadata =
    metadataColumns.length > 0
      ? await readFrame(context, file, { columns: metadataColumns })
      : createTable([], rows);
  return {
    featureNames: chosen.features,
    metadata,
    features: featureMatrix(rows, featureColumns.length, values),
    rows,
  };
}

const numericColumns = (columns: ColumnInfo[]) =>
  columns.map((c) => ({ name: c.name, numeric: frameKindOf(c.type) === 'number' }));

function metadataValue(table: Table, name: string | undefined, row: number): string | number | null {
  const column = table.columns.find((c) => c.name === name);
  if (!column) return null;
  const value = column.values[row];
  return value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))
    ? null
    : value;
}

function checkCancelled(context: NodeContext): void {
  if (context.signal.aborted) throw new NodeCancelledError();
}

function positionColumns(coordinates: ArrayLike<number>, rows: number, dim: number): TableColumn[] {
  return Array.from({ length: dim }, (_, k) =>
    numberColumn(
      dim === 2 ? (k === 0 ? 'x' : 'y') : `d${k}`,
      Float64Array.from({ length: rows }, (_, i) => coordinates[i * dim + k] ?? 0),
    ),
  );
}

export const dinsightBaselineNode = defineNode({
  key: 'monitoring.dinsight',
  params: z
    .object({ analysisId: z.uuid().describe('The analysis this node computes'), ...sizeHint })
    .strict(),
  runtimeFor: needsFargate,
  async run(context, inputs, params) {
    const records = recordsOf(context);
    const target = await records.analysis(params.analysisId);
    const config: DinsightConfig = dinsightConfigSchema.parse(target.config);
    await context.progress(0.05, 'reading the baseline');
    const table = await readAnalysisTable(context, inputs, (columns) =>
      resolveFeatureLayout(numericColumns(columns), config),
    );
    await context.progress(0.15, 'computing pairwise distances');
    const model = buildBaselineModel(table.featureNames, table.features, config, {
      signal: context.signal,
      every: Math.max(1, Math.floor(config.imax / 20)),
      onIteration: (iteration) => {
        checkCancelled(context);
        void context
          .progress(0.2 + (0.6 * iteration) / config.imax, `fitting the map (iteration ${iteration})`)
          .catch(() => undefined);
      },
    });
    await context.progress(0.85, 'writing the map');
    const summary = summariseBaseline(model);
    const dim = model.map.lowdim;
    const coordinates = await writeFrameOutput(
      context,
      'coordinates',
      createTable(
        [...table.metadata.columns, ...positionColumns(model.map.coordinates, table.rows, dim)],
        table.rows,
      ),
    );
    const modelKey = context.outputKey('model', 'bin');
    await context.blobs.put(modelKey, encodeBaselineModel(model), {
      contentType: 'application/octet-stream',
    });
    const colourBy = config.colorBy ?? table.metadata.columns.at(-1)?.name;
    const points: ScatterPoint[] = Array.from({ length: table.rows }, (_, i) => ({
      x: model.map.coordinates[i * dim] ?? 0,
      y: model.map.coordinates[i * dim + (dim > 1 ? 1 : 0)] ?? 0,
      colour: metadataValue(table.metadata, colourBy, i),
    }));
    const plotKey = context.outputKey('plot', 'svg');
    await context.blobs.put(
      plotKey,
      Buffer.from(scatterPlotSvg(points, { title: 'DInsight map of the baseline', colourBy })),
      {
        contentType: 'image/svg+xml',
      },
    );
    await records.recordBaseline(params.analysisId, {
      coordinatesObjectKey: coordinates.key,
      modelObjectKey: modelKey,
      plotObjectKey: plotKey,
      x: points.map((p) => p.x),
      y: points.map((p) => p.y),
      summary: {
        ...summary,
        featureNames: model.featureNames.slice(0, 50),
        allFeatureNames: model.featureNames,
        metadataColumns: table.metadata.columns.map((c) => c.name),
        colourBy: colourBy ?? null,
      },
    });
    return {
      outputs: { coordinates },
      metrics: {
        rows: table.rows,
        features: model.features.cols,
        iterations: model.map.iterations,
        cost: model.map.cost,
        stopReason: model.map.stopReason,
      },
    };
  },
});

export const dinsightMonitorNode = defineNode({
  key: 'monitoring.dinsight_monitor',
  params: z
    .object({ analysisId: z.uuid().describe('The monitoring analysis this node computes'), ...sizeHint })
    .strict(),
  runtimeFor: needsFargate,
  async run(context, inputs, params) {
    const records = recordsOf(context);
    const target = await records.analysis(params.analysisId);
    if (!target.baseline)
      throw new NodeError(`Analysis ${params.analysisId} has no baseline to monitor against.`);
    const config: DinsightConfig = dinsightConfigSchema.parse(target.config);
    await context.progress(0.05, 'loading the baseline model');
    const model: BaselineModel = decodeBaselineModel(
      await context.blobs.getBytes(target.baseline.modelObjectKey),
    );
    const table = await readAnalysisTable(context, inputs, (columns) => {
      requireSameFeatures(model.featureNames, numericColumns(columns), config);
      const names = columns.map((c) => c.name);
      const start = names.indexOf(config.startDim);
      const metadata = config.endMeta
        ? names.slice(0, names.indexOf(config.endMeta) + 1)
        : names.slice(0, Math.max(0, start));
      const features = new Set(model.featureNames);
      return { features: model.featureNames, metadata: metadata.filter((n) => !features.has(n)) };
    });
    const every = Math.max(1, Math.floor(table.rows / 20));
    const outcome = monitorRows(model, table.features, {
      onRow: (i) => {
        checkCancelled(context);
        if (i % every === 0)
          void context
            .progress(0.1 + (0.7 * i) / table.rows, `placing row ${i + 1} of ${table.rows}`)
            .catch(() => undefined);
      },
    });
    await context.progress(0.85, 'recording points and anomalies');
    const dim = model.map.lowdim;
    const positions = Float64Array.from(outcome.points.flatMap((p) => p.position));
    const coordinates = await writeFrameOutput(
      context,
      'coordinates',
      createTable(
        [
          ...table.metadata.columns,
          ...positionColumns(positions, table.rows, dim),
          numberColumn(
            'severity',
            Float64Array.from(outcome.points, (p) => p.severity),
          ),
          stringColumn(
            'level',
            outcome.points.map((p) => p.level),
          ),
          numberColumn(
            'nearest_distance',
            Float64Array.from(outcome.points, (p) => p.nearestDistance),
          ),
          numberColumn(
            't2',
            Float64Array.from(outcome.points, (p) => p.t2),
          ),
          numberColumn(
            'spe',
            Float64Array.from(outcome.points, (p) => p.spe),
          ),
          numberColumn(
            'mahalanobis',
            Float64Array.from(outcome.points, (p) => p.mahalanobis),
          ),
        ],
        table.rows,
      ),
    );
    const baselinePoints: ScatterPoint[] = Array.from({ length: model.features.rows }, (_, i) => ({
      x: model.map.coordinates[i * dim] ?? 0,
      y: model.map.coordinates[i * dim + (dim > 1 ? 1 : 0)] ?? 0,
      colour: 'baseline',
    }));
    const monitored = outcome.points.map((p) => ({
      x: p.position[0] ?? 0,
      y: p.position[dim > 1 ? 1 : 0] ?? 0,
      anomalous: p.anomalous,
    }));
    const plotKey = context.outputKey('plot', 'svg');
    await context.blobs.put(
      plotKey,
      Buffer.from(
        scatterPlotSvg(baselinePoints, {
          title: 'Monitored rows on the baseline map (red: anomalies)',
          monitored,
        }),
      ),
      { contentType: 'image/svg+xml' },
    );
    const metadataNames = table.metadata.columns.map((c) => c.name);
    const drifted = outcome.drift.filter((d) => d.drifted).sort((a, b) => b.effectSize - a.effectSize);
    const recorded = await records.recordMonitoringRun(params.analysisId, {
      coordinatesObjectKey: coordinates.key,
      plotObjectKey: plotKey,
      x: monitored.map((p) => p.x),
      y: monitored.map((p) => p.y),
      severities: outcome.points.map((p) => p.severity),
      anomalies: outcome.points
        .filter((p) => p.anomalous && p.level)
        .map((p) => ({
          rowIndex: p.index,
          severity: p.severity,
          level: p.level ?? 'low',
          distance: p.nearestDistance,
          threshold: model.scorer.nearestThreshold,
          features: p.topFeatures,
          metadata: {
            ...Object.fromEntries(
              metadataNames.slice(0, 10).map((n) => [n, metadataValue(table.metadata, n, p.index)]),
            ),
            position: p.position,
            mahalanobis: p.mahalanobis,
            mahalanobisThreshold: model.mahalanobis.threshold,
            t2: p.t2,
            t2Threshold: model.scorer.t2Threshold,
            spe: p.spe,
            speThreshold: model.scorer.speThreshold,
          },
        })),
      summary: {
        rows: table.rows,
        anomalies: outcome.points.filter((p) => p.anomalous).length,
        anomalyRate: outcome.anomalyRate,
        maxSeverity: outcome.maxSeverity,
        driftShare: outcome.driftShare,
        mahalanobisFlagged: outcome.points.filter((p) => p.mahalanobisSeverity >= 1).length,
        driftTest: outcome.drift[0]?.test ?? null,
        driftedFeatures: drifted.slice(0, 20).map((d) => ({
          feature: d.feature,
          test: d.test,
          statistic: d.statistic,
          pValue: d.pValue,
          adjustedPValue: d.adjustedPValue,
          effectSize: d.effectSize,
          ...(d.jensenShannon !== undefined ? { jensenShannon: d.jensenShannon } : {}),
        })),
        driftedCount: drifted.length,
        thresholds: summariseBaseline(model).thresholds,
      },
    });
    return {
      outputs: { coordinates },
      metrics: {
        rows: table.rows,
        anomalies: recorded.anomalies,
        anomalyRate: outcome.anomalyRate,
        maxSeverity: outcome.maxSeverity,
        driftShare: outcome.driftShare,
        alerts: recorded.alerts,
        processOrder: recorded.processOrder,
      },
    };
  },
});

export const monitoringNodes = [dinsightBaselineNode, dinsightMonitorNode];
