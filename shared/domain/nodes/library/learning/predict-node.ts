import path from 'node:path';
import * as z from 'zod';
import { ConflictError, NotFoundError, PayloadTooLargeError } from '../../../../kernel/app-error';
import { PredictionInputError, type ModelPredictor } from '../../../learning/model-artifact';
import {
  booleanColumn,
  createTable,
  findColumn,
  labelAt,
  numberColumn,
  stringColumn,
  type Table,
  type TableColumn,
} from '../../../learning/table';
import { MODEL_ALIAS_PATTERN } from '../../../models/model-registry';
import type { JobResultRecord } from '../../job-results.port';
import { defineNode, type NodeContext, type NodeInputs } from '../../node-definition';
import { NodeError } from '../../node-errors';
import type { ModelReference, RegisteredModel } from '../../registered-models.port';
import { frameKindOf, readFrame, writeFrameFile } from '../../table-frames';
import {
  countRows,
  describeColumns,
  downloadInput,
  MAX_LISTED_COLUMNS,
  writeParquetOutput,
  type ColumnInfo,
} from '../../table-io';
import { quoteIdentifier, quoteLiteral, readParquet } from '../../table-sql';

/**
 * Batch prediction: the input table with the predictions of a registered model of the job's owner
 * appended (a prediction column and, for a classifier, one probability column per class). The
 * table is read, predicted and written batch by batch (`batchRows` at a time), so memory stays
 * bounded whatever its size; the predictions are the ones `POST /models/{id}/predict` gives for the
 * same rows. When the table holds the true values the predictions are scored. The node records a
 * job result and may register its output as a new version of a dataset.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A registered name, then `@`, then an alias (names may hold `@` themselves: the last one splits). */
const NAME_AT_ALIAS = /^(.+)@([^@]+)$/;
export const DEFAULT_BATCH_ROWS = 50_000;
/** The file name a registered output version gets. */
export const OUTPUT_FILE_NAME = 'predictions.parquet';

/** What `model` (and `version`) name, or why they name nothing. */
function parseModelParam(model: string, version: number | undefined): ModelReference | string {
  if (version !== undefined) return { kind: 'version', name: model, version };
  if (UUID.test(model)) return { kind: 'id', modelId: model.toLowerCase() };
  const aliased = NAME_AT_ALIAS.exec(model);
  if (aliased?.[1] && aliased[2]) {
    if (!MODEL_ALIAS_PATTERN.test(aliased[2]))
      return `"${aliased[2]}" is not an alias: an alias is 1–64 characters, a lowercase letter, then lowercase letters, digits, "_" or "-"`;
    return { kind: 'alias', name: aliased[1], alias: aliased[2] };
  }
  return `say which version of "${model}": add "version", or name an alias as "${model}@production"`;
}

/** A dataset of the owner's a node's output table becomes the next version of: by id, or by name. */
export const outputDatasetTarget = z.union([
  z.strictObject({ name: z.string().trim().min(1).max(255) }),
  z.strictObject({ datasetId: z.uuid() }),
]);

export const predictParams = z
  .object({
    model: z
      .string()
      .trim()
      .min(1)
      .max(320)
      .optional()
      .describe(
        'A model of yours: its id, "name@alias" (e.g. "churn@production"), or a registered name with "version". Leave it out to predict with the model connected to the "model" input.',
      ),
    version: z.number().int().min(1).optional().describe('With a registered name in "model": that version.'),
    target: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        'The column of true values the predictions are scored against; default: the column the model was trained to predict, when the table has it.',
      ),
    predictionColumn: z
      .string()
      .min(1)
      .max(255)
      .default('prediction')
      .describe(
        'Name of the prediction column ("_2", "_3", … is added when the table has one of that name).',
      ),
    probabilityPrefix: z
      .string()
      .min(1)
      .max(200)
      .default('probability_')
      .describe(
        'Classifiers: each class gets a column of this prefix and its label, e.g. "probability_yes".',
      ),
    batchRows: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_BATCH_ROWS)
      .describe('Rows read and predicted at a time: memory stays bounded whatever the size of the table.'),
    outputDataset: outputDatasetTarget
      .optional()
      .describe(
        'Also register the output as the next version of this dataset of yours: by id, or by name (a tabular dataset of that name is created when you have none).',
      ),
  })
  .strict()
  .superRefine((params, ctx) => {
    if (params.model === undefined) {
      if (params.version !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['version'],
          message: 'goes with a registered name in "model"',
        });
      return;
    }
    const parsed = parseModelParam(params.model, params.version);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', path: ['model'], message: parsed });
  });

type PredictParams = z.infer<typeof predictParams>;

function modelReference(params: PredictParams, inputs: NodeInputs): ModelReference {
  const connected = inputs['model']?.key;
  if (connected && params.model !== undefined)
    throw new NodeError(
      'A model is connected to the "model" input and "model" names another: keep one of them.',
      'params.model',
    );
  if (connected) return { kind: 'artifact', artifactKey: connected };
  if (params.model === undefined)
    throw new NodeError(
      'Name the model to predict with in "model" (its id, "name@alias", or a name with "version"), or connect a trained model to the "model" input.',
      'params.model',
    );
  const parsed = parseModelParam(params.model, params.version);
  if (typeof parsed === 'string') throw new NodeError(`"model": ${parsed}.`, 'params.model');
  return parsed;
}

function notFoundMessage(reference: ModelReference): string {
  switch (reference.kind) {
    case 'id':
      return `No model of yours has the id ${reference.modelId}: GET /models lists yours.`;
    case 'alias':
      return `No model of yours named "${reference.name}" has the alias "${reference.alias}": set it with PUT /models/by-name/{name}/aliases/{alias}.`;
    case 'version':
      return `You have no version ${reference.version} of a model named "${reference.name}": GET /models?name= lists its versions.`;
    case 'artifact':
      return 'The model connected to the "model" input is not registered (it may have been deleted): run its training node again.';
  }
}

async function loadModel(context: NodeContext, reference: ModelReference): Promise<RegisteredModel> {
  try {
    return await context.models.load(reference);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new NodeError(
        notFoundMessage(reference),
        reference.kind === 'artifact' ? 'inputs.model' : 'params.model',
      );
    throw error;
  }
}

/** `wanted`, or `wanted_2`, `wanted_3`, … : the first name no column has (the engine ignores case). */
function freeName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let n = 2; taken.has(name.toLowerCase()); n += 1) name = `${wanted}_${n}`;
  taken.add(name.toLowerCase());
  return name;
}

/** The columns the predictions add, with the engine type each is written as. */
interface PredictionColumns {
  prediction: { name: string; type: 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'INTEGER' };
  /** Classifiers: per class label (as `String(label)`), its probability column. */
  probabilities: { label: string; name: string }[];
}

function predictionColumns(
  predictor: ModelPredictor,
  tableColumns: readonly ColumnInfo[],
  params: PredictParams,
): PredictionColumns {
  const taken = new Set(tableColumns.map((c) => c.name.toLowerCase()));
  const name = freeName(params.predictionColumn, taken);
  const classes = predictor.classes ?? [];
  const type =
    predictor.problemType === 'regression'
      ? 'DOUBLE'
      : predictor.problemType === 'clustering'
        ? 'INTEGER'
        : classes.every((c) => typeof c === 'boolean')
          ? 'BOOLEAN'
          : classes.every((c) => typeof c === 'number')
            ? classes.every((c) => Number.isInteger(c))
              ? 'BIGINT'
              : 'DOUBLE'
            : 'VARCHAR';
  return {
    prediction: { name, type },
    probabilities: classes.map((label) => ({
      label: String(label),
      name: freeName(`${params.probabilityPrefix}${String(label)}`, taken),
    })),
  };
}

/** The signature's columns as the table has them; a missing or differently typed column fails the node by name. */
function signatureColumns(model: RegisteredModel, tableColumns: readonly ColumnInfo[]): ColumnInfo[] {
  const byName = new Map(tableColumns.map((c) => [c.name, c]));
  const missing = model.predictor.signature.inputs.filter((input) => !byName.has(input.name));
  if (missing.length > 0) {
    const names = missing.slice(0, 20).map((input) => `"${input.name}"`);
    const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
    const listed = tableColumns.slice(0, MAX_LISTED_COLUMNS).map((c) => c.name);
    throw new NodeError(
      `The table lacks ${missing.length === 1 ? 'the column' : 'the columns'} ${names.join(', ')}${more} that model "${model.name}" v${model.version} was trained on (the table has: ${listed.join(', ')}${tableColumns.length > listed.length ? ', …' : ''}).`,
      'inputs.table',
    );
  }
  return model.predictor.signature.inputs.map((input) => {
    const column = byName.get(input.name) as ColumnInfo;
    const kind = frameKindOf(column.type);
    if (kind !== input.type)
      throw new NodeError(
        `Column "${input.name}" holds ${kind === 'string' ? 'text' : `${kind}s`} in the table; model "${model.name}" v${model.version} was trained on it as ${input.type === 'string' ? 'text' : `${input.type}s`}. Cast it with a transform.cast node first.`,
        'inputs.table',
      );
    return column;
  });
}

/** Scores of the predictions against the true values, accumulated batch by batch. */
class Scorer {
  scored = 0;
  private correct = 0;
  private squaredError = 0;
  private absoluteError = 0;

  constructor(readonly problemType: ModelPredictor['problemType']) {}

  add(truth: TableColumn, predictions: readonly (string | number | boolean)[]): void {
    for (let row = 0; row < predictions.length; row += 1) {
      const predicted = predictions[row];
      if (this.problemType === 'classification') {
        const label = labelAt(truth, row);
        if (label === null || predicted === undefined) continue;
        this.scored += 1;
        if (String(label) === String(predicted)) this.correct += 1;
      } else if (this.problemType === 'regression' && truth.kind !== 'string') {
        const actual = truth.values[row] ?? NaN;
        const value = Number(predicted);
        if (!Number.isFinite(actual) || !Number.isFinite(value)) continue;
        this.scored += 1;
        this.squaredError += (value - actual) ** 2;
        this.absoluteError += Math.abs(value - actual);
      }
    }
  }

  metrics(): Record<string, number> {
    if (this.scored === 0) return {};
    if (this.problemType === 'classification')
      return { rowsScored: this.scored, accuracy: this.correct / this.scored };
    return {
      rowsScored: this.scored,
      rmse: Math.sqrt(this.squaredError / this.scored),
      mae: this.absoluteError / this.scored,
    };
  }
}

/** The column of true values to score against, when there is one. */
function truthColumn(
  predictor: ModelPredictor,
  tableColumns: readonly ColumnInfo[],
  params: PredictParams,
): ColumnInfo | undefined {
  if (predictor.problemType === 'clustering') return undefined;
  const name = params.target ?? predictor.target?.name;
  const column = tableColumns.find((c) => c.name === name);
  if (params.target !== undefined && !column)
    throw new NodeError(
      `The table has no column "${params.target}" to score the predictions against.`,
      'params.target',
    );
  if (column && predictor.problemType === 'regression' && frameKindOf(column.type) === 'string')
    throw new NodeError(
      `Column "${column.name}" is not numeric: a regression is scored on numbers.`,
      'params.target',
    );
  return column;
}

/** One batch's predictions as a table of the prediction columns. */
function predictionFrame(
  columns: PredictionColumns,
  prediction: ReturnType<ModelPredictor['predictTable']>,
): Table {
  const { name, type } = columns.prediction;
  const values = prediction.predictions;
  const column: TableColumn =
    type === 'VARCHAR'
      ? stringColumn(
          name,
          values.map((v) => String(v)),
        )
      : type === 'BOOLEAN'
        ? booleanColumn(
            name,
            values.map((v) => v === true),
          )
        : numberColumn(
            name,
            values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)),
          );
  const probabilities = columns.probabilities.map(({ label, name: probability }) =>
    numberColumn(probability, prediction.probabilities?.[label] ?? new Float64Array(values.length)),
  );
  return createTable([column, ...probabilities], values.length);
}

export const predictNode = defineNode({
  key: 'model.predict',
  params: predictParams,
  async run(context, inputs, params) {
    const reference = modelReference(params, inputs);
    await context.progress(0.02, 'loading the model');
    const model = await loadModel(context, reference);
    const { predictor } = model;
    const file = await downloadInput(context, inputs, 'table');
    const tableColumns = await describeColumns(context, file);
    const inputsRead = signatureColumns(model, tableColumns);
    const truth = truthColumn(predictor, tableColumns, params);
    const read = truth && !inputsRead.includes(truth) ? [...inputsRead, truth] : inputsRead;
    const columns = predictionColumns(predictor, tableColumns, params);
    const total = await countRows(context, file);

    const parts: string[] = [];
    const scorer = new Scorer(predictor.problemType);
    let lastReport = 0;
    for (let offset = 0; offset < total; offset += params.batchRows) {
      const expected = Math.min(params.batchRows, total - offset);
      const batch = await readFrame(context, file, {
        columns: read,
        rows: { offset, limit: params.batchRows },
      });
      if (batch.nRows !== expected)
        throw new Error(`Batch at row ${offset} read ${batch.nRows} rows instead of ${expected}.`);
      let prediction;
      try {
        prediction = predictor.predictTable(batch);
      } catch (error) {
        if (error instanceof PredictionInputError) throw new NodeError(error.message, 'inputs.table');
        throw error;
      }
      const truthValues = truth ? findColumn(batch, truth.name) : undefined;
      if (truthValues) scorer.add(truthValues, prediction.predictions);
      const part = path.join(context.workDir, `predictions-${String(parts.length).padStart(6, '0')}.parquet`);
      await writeFrameFile(context, predictionFrame(columns, prediction), part);
      parts.push(part);
      if (Date.now() - lastReport >= 1_000 || offset + expected >= total) {
        lastReport = Date.now();
        await context.progress(
          0.05 + (0.85 * (offset + expected)) / total,
          `predicted ${offset + expected} of ${total} rows`,
        );
      }
    }

    await context.progress(0.92, 'writing the predictions');
    const table = await writeParquetOutput(context, 'table', outputSelect(file, parts, columns));
    const metrics: JobResultRecord['metrics'] = {
      rowsPredicted: total,
      ...scorer.metrics(),
      modelId: model.modelId,
      modelName: model.name,
      modelVersion: model.version,
      predictionColumn: columns.prediction.name,
    };
    const recorded = await recordResult(context, params, {
      outputKey: table.key,
      rowCount: table.rows ?? total,
      metrics,
      ...(params.outputDataset
        ? {
            outputDataset: {
              target: params.outputDataset,
              fileName: OUTPUT_FILE_NAME,
              sizeBytes: table.bytes ?? 0,
            },
          }
        : {}),
    });
    return {
      outputs: { table },
      metrics: {
        ...metrics,
        rows: table.rows ?? total,
        batches: parts.length,
        modelSha256: model.sha256,
        resultId: recorded.resultId,
        ...(recorded.outputDataset
          ? {
              outputDatasetId: recorded.outputDataset.datasetId,
              outputDatasetVersionId: recorded.outputDataset.datasetVersionId,
              outputDatasetVersion: recorded.outputDataset.versionNumber,
            }
          : {}),
      },
    };
  },
});

/**
 * The input's rows, in file order, beside the predictions of each (the parts are in the same
 * order): a positional join streams both files without holding either.
 */
function outputSelect(file: string, parts: readonly string[], columns: PredictionColumns): string {
  const { prediction, probabilities } = columns;
  if (parts.length === 0) {
    const nulls = [
      `CAST(NULL AS ${prediction.type}) AS ${quoteIdentifier(prediction.name)}`,
      ...probabilities.map((p) => `CAST(NULL AS DOUBLE) AS ${quoteIdentifier(p.name)}`),
    ];
    return `SELECT i.*, ${nulls.join(', ')} FROM ${readParquet(file)} AS i`;
  }
  const id = quoteIdentifier(prediction.name);
  const predicted =
    prediction.type === 'BIGINT' || prediction.type === 'INTEGER'
      ? `CAST(p.${id} AS ${prediction.type}) AS ${id}`
      : `p.${id}`;
  const select = [predicted, ...probabilities.map((p) => `p.${quoteIdentifier(p.name)}`)];
  return `SELECT i.*, ${select.join(', ')} FROM ${readParquet(file)} AS i
    POSITIONAL JOIN read_parquet([${parts.map(quoteLiteral).join(', ')}]) AS p`;
}

async function recordResult(context: NodeContext, params: PredictParams, result: JobResultRecord) {
  try {
    return await context.results.record(result);
  } catch (error) {
    // The dataset named does not exist, or the tier's limits leave no room for the version.
    if (
      params.outputDataset &&
      (error instanceof NotFoundError ||
        error instanceof ConflictError ||
        error instanceof PayloadTooLargeError)
    )
      throw new NodeError(error.message, 'params.outputDataset');
    throw error;
  }
}
