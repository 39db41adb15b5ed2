import { randomUUID, createHash } from 'node:crypto';
import {
  columnNames,
  closestName,
  encodeLabels,
  encodeLabelsWith,
  findColumn,
  labelAt,
  selectRows,
  toFeatureMatrix,
  type ClassLabel,
  type Table,
} from '../../../learning/table';
import type { ClassTarget, FeatureMatrix, ProblemType } from '../../../learning/learner';
import {
  applyTransformChain,
  fitTransformChain,
  type FittedTransformChain,
  type TransformWarning,
} from '../../../learning/transforms/transform-chain';
import type { TransformState } from '../../../learning/transforms/transform-state';
import {
  createModelArtifact,
  inferSignature,
  serializeArtifact,
  type ModelArtifact,
  type ModelSignature,
} from '../../../learning/model-artifact';
import type { NodeContext, NodeInputs, NodePortOutput } from '../../node-definition';
import { NodeError } from '../../node-errors';
import { downloadInput, MAX_LISTED_COLUMNS } from '../../table-io';
import { readFrame } from '../../table-frames';
import type { MediaInput } from '../../../learning/media-input';
import { readTransforms } from './transforms-document';
import { objectKeys } from '../../../../storage/object-keys';

/** The version of the learning code a model was trained with (recorded on every model). */
export const FRAMEWORK_VERSION = 'pipeweave-learn 1.0';

/** Above this many distinct values a text feature keeps its most frequent categories plus "other". */
export const MAX_FEATURE_CATEGORIES = 255;

export interface TrainingRequest {
  target?: string | undefined;
  problemType?: ProblemType | undefined;
}

/** The rows a training node learns from, encoded for the learners, with what it took to get there. */
export interface TrainingSession {
  problemType: ProblemType;
  targetName: string | null;
  classes: readonly ClassLabel[] | undefined;
  signature: ModelSignature;
  /** Upstream fitted transforms, then the node's own preparation (constant columns, text codes). */
  transforms: TransformState[];
  /** How the inputs were made from a stored file, when they are image or audio features. */
  media: MediaInput | undefined;
  featureNames: string[];
  categoricalEncodings: Readonly<Record<string, number>>;
  train: { x: FeatureMatrix; y: ClassTarget | Float64Array | undefined };
  test: { x: FeatureMatrix; y: ClassTarget | Float64Array | undefined } | undefined;
  warnings: string[];
  datasetVersionId: string | undefined;
}

const PROBLEM_TYPES: readonly ProblemType[] = ['classification', 'regression', 'clustering'];

export async function openTrainingSession(
  context: NodeContext,
  inputs: NodeInputs,
  request: TrainingRequest,
): Promise<TrainingSession> {
  const train = await readFrame(context, await downloadInput(context, inputs, 'train'));
  const test = inputs['test']
    ? await readFrame(context, await downloadInput(context, inputs, 'test'))
    : undefined;
  if (train.nRows === 0) throw new NodeError('The training table has no rows.', 'inputs.train');
  const dataset = await context.jobDataset();
  const datasetProblem = PROBLEM_TYPES.find((p) => p === dataset?.problemType);
  const problemType: ProblemType = request.problemType ?? datasetProblem ?? 'classification';
  const warnings: string[] = [];

  let targetName: string | null = null;
  if (problemType !== 'clustering') {
    targetName = request.target ?? dataset?.targetColumn ?? null;
    if (!targetName)
      throw new NodeError(
        `Name the column to predict: set "target" on this node or the dataset's targetColumn (columns: ${listColumns(train)}).`,
        'params.target',
      );
    if (!findColumn(train, targetName)) {
      const suggestion = closestName(targetName, columnNames(train));
      throw new NodeError(
        `Target column "${targetName}" does not exist (the table has: ${listColumns(train)})${
          suggestion ? `; did you mean "${suggestion}"?` : '.'
        }`,
        'params.target',
      );
    }
  }

  const upstream = inputs['train']?.transformsKey
    ? await readTransforms(context, inputs['train'].transformsKey)
    : undefined;
  const trainRows = rowsWithTarget(train, targetName, warnings, 'training');
  const testRows = test ? rowsWithTarget(test, targetName, warnings, 'test') : undefined;
  checkTarget(trainRows, targetName, problemType);

  // The node's own preparation, fitted on the training rows: columns that carry nothing are
  // dropped, text becomes category codes (the learners split on them natively or one-hot them).
  const passthrough = targetName ? [targetName] : [];
  let prepared: FittedTransformChain;
  try {
    prepared = fitTransformChain(
      [
        { kind: 'drop_columns', params: { dropConstant: true, maxMissingFraction: 0.999 } },
        { kind: 'ordinal_encode', params: { maxCategories: MAX_FEATURE_CATEGORIES } },
      ],
      trainRows,
      { passthrough },
    );
  } catch (error) {
    throw new NodeError(error instanceof Error ? error.message : String(error), 'inputs.train');
  }
  warnings.push(...prepared.warnings.map((w: TransformWarning) => w.message));
  const featureNames = columnNames(prepared.table).filter((name) => name !== targetName);
  if (featureNames.length === 0)
    throw new NodeError(
      'No feature is left to learn from: every column but the target is constant or missing.',
      'inputs.train',
    );
  const stringFeature = featureNames.find((name) => findColumn(prepared.table, name)?.kind === 'string');
  if (stringFeature)
    throw new NodeError(`Feature "${stringFeature}" is still text after encoding.`, 'inputs.train');

  const encode = (table: Table) => toFeatureMatrix(table, featureNames, prepared.categoricalEncodings);
  let classes: readonly ClassLabel[] | undefined;
  let yTrain: ClassTarget | Float64Array | undefined;
  let yTest: ClassTarget | Float64Array | undefined;
  const preparedTest = testRows ? applyTransformChain(prepared.states, testRows) : undefined;
  if (problemType === 'classification' && targetName) {
    const encoded = encodeLabels(prepared.table, targetName);
    classes = encoded.classes;
    yTrain = encoded.target;
    if (preparedTest) {
      const known = new Set(classes.map(String));
      const keep = rowIndices(preparedTest, (row) =>
        known.has(String(labelOf(preparedTest, targetName, row))),
      );
      if (keep.length < preparedTest.nRows)
        warnings.push(
          `${preparedTest.nRows - keep.length} test row(s) have a class the training rows never had and are not scored.`,
        );
      const kept = selectRows(preparedTest, keep);
      yTest = encodeLabelsWith(classes, kept, targetName);
      return finish(kept);
    }
  } else if (problemType === 'regression' && targetName) {
    yTrain = numericTarget(prepared.table, targetName);
    if (preparedTest) yTest = numericTarget(preparedTest, targetName);
  }
  return finish(preparedTest);

  function finish(testTable: Table | undefined): TrainingSession {
    // The target is never an input, even when the upstream document listed it (a media node
    // does not know which column the training node predicts).
    const signature: ModelSignature = upstream
      ? {
          inputs: upstream.inputs
            .filter((input) => input.name !== targetName)
            .map((input) => ({ name: input.name, type: input.type })),
        }
      : inferSignature(train, { exclude: passthrough });
    return {
      problemType,
      targetName,
      classes,
      signature,
      transforms: [...(upstream?.states ?? []), ...prepared.states],
      media: upstream?.media,
      featureNames,
      categoricalEncodings: prepared.categoricalEncodings,
      train: { x: encode(prepared.table), y: yTrain },
      test: testTable ? { x: encode(testTable), y: yTest } : undefined,
      warnings,
      datasetVersionId: dataset?.datasetVersionId,
    };
  }
}

function listColumns(table: Table): string {
  const names = columnNames(table);
  const listed = names.slice(0, MAX_LISTED_COLUMNS).map((n) => `"${n}"`);
  return names.length > MAX_LISTED_COLUMNS
    ? `${listed.join(', ')} and ${names.length - MAX_LISTED_COLUMNS} more`
    : listed.join(', ');
}

function labelOf(table: Table, name: string, row: number): ClassLabel | null {
  const column = findColumn(table, name);
  return column ? labelAt(column, row) : null;
}

function rowIndices(table: Table, keep: (row: number) => boolean): number[] {
  const out: number[] = [];
  for (let row = 0; row < table.nRows; row += 1) if (keep(row)) out.push(row);
  return out;
}

/** Rows without a target cannot be learned from or scored: dropped, with a warning. */
function rowsWithTarget(table: Table, target: string | null, warnings: string[], what: string): Table {
  if (!target) return table;
  const keep = rowIndices(table, (row) => labelOf(table, target, row) !== null);
  if (keep.length === table.nRows) return table;
  warnings.push(`${table.nRows - keep.length} ${what} row(s) without a value in "${target}" were left out.`);
  return selectRows(table, keep);
}

function checkTarget(table: Table, target: string | null, problemType: ProblemType): void {
  if (!target) return;
  const column = findColumn(table, target);
  if (!column || table.nRows === 0)
    throw new NodeError(`No training row has a value in "${target}".`, 'params.target');
  if (problemType === 'regression' && column.kind !== 'number')
    throw new NodeError(
      `Target "${target}" is ${column.kind === 'string' ? 'text' : column.kind}, not numeric: regression predicts numbers. Cast it to a number first, or train a classifier.`,
      'params.problemType',
    );
  if (problemType === 'classification') {
    const distinct = new Set<string>();
    for (let row = 0; row < table.nRows && distinct.size < 2; row += 1)
      distinct.add(String(labelOf(table, target, row)));
    if (distinct.size < 2)
      throw new NodeError(
        `Target "${target}" has only one class (${[...distinct][0] ?? 'none'}) in the training rows: a classifier needs at least two.`,
        'params.target',
      );
  }
}

function numericTarget(table: Table, target: string): Float64Array {
  const column = findColumn(table, target);
  if (!column || column.kind === 'string')
    throw new NodeError(`Target "${target}" is not numeric.`, 'params.target');
  return column.values;
}

/** Stores the artifact under models/{user}/{model}/model.json and returns where and what. */
export async function storeArtifact(
  context: NodeContext,
  parts: Omit<ModelArtifact, 'format' | 'version'>,
): Promise<{
  modelId: string;
  artifact: ModelArtifact;
  output: NodePortOutput & { bytes: number };
  sha256: string;
}> {
  const artifact = createModelArtifact(parts);
  const body = Buffer.from(serializeArtifact(artifact));
  const modelId = randomUUID();
  const key = objectKeys.model(context.userId, modelId);
  await context.blobs.put(key, body, { contentType: 'application/json' });
  const sha256 = createHash('sha256').update(body).digest('hex');
  return { modelId, artifact, sha256, output: { key, format: 'json', bytes: body.length } };
}

export function targetSummary(session: TrainingSession): ModelArtifact['target'] {
  if (!session.targetName) return null;
  return session.classes
    ? { name: session.targetName, classes: session.classes }
    : { name: session.targetName };
}
