import * as z from 'zod';
import { restoreModel } from '../../../learning/automl';
import {
  evaluateClassification,
  evaluateRegression,
  type EvaluationReport,
} from '../../../learning/evaluation';
import { accuracy } from '../../../learning/metrics/classification-metrics';
import { r2 } from '../../../learning/metrics/regression-metrics';
import {
  loadPredictor,
  parseArtifact,
  type ModelArtifact,
  type ModelPredictor,
} from '../../../learning/model-artifact';
import { SeededRandom } from '../../../learning/random';
import {
  createTable,
  encodeLabelsWith,
  findColumn,
  labelAt,
  selectRows,
  type Table,
  type TableColumn,
} from '../../../learning/table';
import { defineNode } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { downloadInput } from '../../table-io';
import { readFrame, readJsonInput, writeJsonOutput } from '../../table-frames';

/**
 * Scores a trained model on rows it has not seen (the `table` input holds raw rows, as a
 * prediction request would: the model replays its own transforms). Reports every metric of the
 * problem type, the learner's own feature importance (gain for trees, |coefficient| on
 * standardised inputs for linear models) and permutation importance of the input columns,
 * measured until its time budget runs out.
 */
const evaluateParams = z
  .object({
    target: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Default: the column the model was trained to predict.'),
    importanceBudgetSeconds: z.number().min(0).max(600).default(10),
    importanceRepeats: z.number().int().min(1).max(20).default(3),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
  })
  .strict();

interface Truth {
  table: Table;
  /** Score of a prediction of `table`'s rows; greater is better. */
  score(prediction: ReturnType<ModelPredictor['predictTable']>): number;
  report(prediction: ReturnType<ModelPredictor['predictTable']>): EvaluationReport;
}

function truthOf(artifact: ModelArtifact, table: Table, targetName: string): Truth {
  const column = findColumn(table, targetName);
  if (!column) throw new NodeError(`The rows have no target column "${targetName}".`, 'params.target');
  if (artifact.problemType === 'classification') {
    const classes = artifact.target?.classes ?? [];
    const known = new Set(classes.map(String));
    const keep: number[] = [];
    for (let row = 0; row < table.nRows; row += 1) {
      const label = labelAt(column, row);
      if (label !== null && known.has(String(label))) keep.push(row);
    }
    const rows = selectRows(table, keep);
    const y = encodeLabelsWith(classes, rows, targetName);
    const proba = (p: ReturnType<ModelPredictor['predictTable']>) =>
      classes.map((c) => p.probabilities?.[String(c)] ?? new Float64Array(rows.nRows));
    return {
      table: rows,
      score: (p) =>
        accuracy(
          y.labels,
          Int32Array.from(p.predictions, (label) => classes.findIndex((c) => String(c) === String(label))),
        ),
      report: (p) => evaluateClassification(y, proba(p)),
    };
  }
  if (column.kind === 'string')
    throw new NodeError(`Target "${targetName}" is not numeric.`, 'params.target');
  const keep: number[] = [];
  for (let row = 0; row < table.nRows; row += 1) if (!Number.isNaN(column.values[row] ?? NaN)) keep.push(row);
  const rows = selectRows(table, keep);
  const y = Float64Array.from(keep, (row) => column.values[row] ?? NaN);
  const values = (p: ReturnType<ModelPredictor['predictTable']>) => Float64Array.from(p.predictions, Number);
  return {
    table: rows,
    score: (p) => r2(y, values(p)),
    report: (p) => evaluateRegression(y, values(p)),
  };
}

function shuffledColumn(column: TableColumn, random: SeededRandom): TableColumn {
  if (column.kind === 'string') return { ...column, values: random.shuffle([...column.values]) };
  return { ...column, values: random.shuffle(Float64Array.from(column.values)) };
}

export const evaluateNode = defineNode({
  key: 'model.evaluate',
  params: evaluateParams,
  async run(context, inputs, params) {
    const modelKey = inputs['model']?.key;
    if (!modelKey) throw new NodeError('Connect a trained model to the "model" input.', 'inputs.model');
    let artifact: ModelArtifact;
    try {
      artifact = parseArtifact(await readJsonInput(context, modelKey));
    } catch (error) {
      throw new NodeError(
        `The model could not be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (artifact.problemType === 'clustering')
      throw new NodeError(
        'Clustering models are scored where they are trained (inertia and silhouette on the test rows); evaluate needs a classifier or a regressor.',
        'inputs.model',
      );
    const predictor = loadPredictor(artifact);
    const rows = await readFrame(context, await downloadInput(context, inputs, 'table'));
    const targetName = params.target ?? artifact.target?.name;
    if (!targetName) throw new NodeError('Name the target column to score against.', 'params.target');
    const truth = truthOf(artifact, rows, targetName);
    if (truth.table.nRows === 0)
      throw new NodeError('No row has a target value to score against.', 'inputs.table');
    await context.progress(0.2, `scoring ${truth.table.nRows} rows`);
    let prediction;
    try {
      prediction = predictor.predictTable(truth.table);
    } catch (error) {
      throw new NodeError(error instanceof Error ? error.message : String(error), 'inputs.table');
    }
    const report = truth.report(prediction);

    // The learner's own importance, by feature the transforms produced.
    const learned = restoreModel(artifact.learner);
    const gain = learned.problemType === 'clustering' ? undefined : learned.featureImportance();
    const learnerImportance = gain
      ? artifact.features.names
          .map((feature, j) => ({ feature, importance: gain[j] ?? 0 }))
          .sort((a, b) => b.importance - a.importance)
      : [];

    // Permutation importance of the input columns, within its budget.
    await context.progress(0.5, 'measuring permutation importance');
    const baseline = truth.score(prediction);
    const random = new SeededRandom(params.seed);
    const deadline = Date.now() + params.importanceBudgetSeconds * 1000;
    const permutation: { column: string; mean: number; std: number }[] = [];
    let partial = false;
    for (const input of artifact.signature.inputs) {
      if (Date.now() >= deadline) {
        partial = true;
        break;
      }
      const drops: number[] = [];
      for (let r = 0; r < params.importanceRepeats; r += 1) {
        const columns = truth.table.columns.map((c) =>
          c.name === input.name ? shuffledColumn(c, random) : c,
        );
        drops.push(baseline - truth.score(predictor.predictTable(createTable(columns, truth.table.nRows))));
      }
      const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
      const std = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / drops.length);
      permutation.push({ column: input.name, mean, std });
    }
    permutation.sort((a, b) => b.mean - a.mean);

    const output = await writeJsonOutput(context, 'report', {
      ...report,
      target: targetName,
      featureImportance: {
        learner: learnerImportance.slice(0, 200),
        permutation,
        permutationPartial: partial,
      },
    });
    const metrics: Record<string, number> = {};
    for (const [name, value] of Object.entries(report.metrics))
      if (typeof value === 'number') metrics[name] = value;
    return {
      outputs: { report: output },
      metrics: { ...metrics, rows: report.rows, ...(partial ? { permutationPartial: true } : {}) },
    };
  },
});
