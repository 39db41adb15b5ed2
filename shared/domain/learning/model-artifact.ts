/**
 * The model artifact: one versioned JSON document holding everything needed to predict without
 * the code that trained it: the input signature, the fitted transforms in order, the feature
 * names the learner saw, the learner's state, the class labels, and provenance (seed, time,
 * framework version, metrics).
 *
 * `serializeArtifact` writes canonical JSON (object keys sorted at every depth, no whitespace),
 * so the same artifact always gives the same text and the same sha256. `parseArtifact` checks
 * the shape and says what is wrong and where. `loadPredictor` replays the transforms and the
 * learner exactly as training did: online and batch prediction call the same `predictTable`.
 */
import { canonicalJson } from '../../kernel/canonical-json';
import { restoreModel } from './automl/composite-models';
import type { FeatureMatrix, FittedModel, LearnerState, ProblemType } from './learner';
import type { LearnerCatalog } from './learner-catalog';
import {
  compareCodePoints,
  createTable,
  toFeatureMatrix,
  type ClassLabel,
  type ColumnKind,
  type Table,
  type TableColumn,
} from './table';
import { applyTransformChain } from './transforms/transform-chain';
import type { TransformState } from './transforms/transform-state';
import { argmaxRows } from './argmax-rows';
import { mediaInputSchema, type MediaInput } from './media-input';

export const MODEL_ARTIFACT_FORMAT = 'pipeweave.model';
export const MODEL_ARTIFACT_VERSION = 1;
/** At most this many distinct values of a text input are listed in the signature. */
export const SIGNATURE_MAX_CATEGORIES = 100;

export type SignatureType = ColumnKind;

export interface SignatureInput {
  readonly name: string;
  readonly type: SignatureType;
  /** The distinct training values of a text input, when there are few enough to list. */
  readonly categories?: readonly string[];
}

export interface ModelSignature {
  readonly inputs: readonly SignatureInput[];
}

export interface ModelArtifactTarget {
  readonly name: string;
  /** Classification: the labels, in the order of the model's class indices. */
  readonly classes?: readonly ClassLabel[];
}

export interface ModelArtifactFeatures {
  /** The learner's features, in order, as the transforms name them. */
  readonly names: readonly string[];
  /** Ordinal-encoded feature → category count (for native categorical splits). */
  readonly categoricalEncodings: Readonly<Record<string, number>>;
}

export interface ModelArtifact {
  readonly format: typeof MODEL_ARTIFACT_FORMAT;
  readonly version: typeof MODEL_ARTIFACT_VERSION;
  readonly problemType: ProblemType;
  /** null for clustering (no target). */
  readonly target: ModelArtifactTarget | null;
  readonly signature: ModelSignature;
  readonly transforms: readonly TransformState[];
  /** Present when the inputs are features of a file a prediction request may send itself. */
  readonly media?: MediaInput;
  readonly features: ModelArtifactFeatures;
  readonly learner: LearnerState;
  /** ISO 8601 time the model was trained. */
  readonly trainedAt: string;
  readonly seed: number;
  readonly frameworkVersion: string;
  /** Metric name → value (validation and test scores). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** An artifact that is malformed, or that this code cannot read. */
export class ModelArtifactError extends Error {
  override readonly name = 'ModelArtifactError';
}

/** Rows sent for prediction do not match the model's signature. */
export class PredictionInputError extends Error {
  override readonly name = 'PredictionInputError';
  constructor(
    message: string,
    readonly column?: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Building and serialising
// ---------------------------------------------------------------------------------------------

/** Builds an artifact from its parts, checking them as `parseArtifact` would. */
export function createModelArtifact(parts: Omit<ModelArtifact, 'format' | 'version'>): ModelArtifact {
  const artifact = { format: MODEL_ARTIFACT_FORMAT, version: MODEL_ARTIFACT_VERSION, ...parts };
  assertPlainJson(artifact, '$');
  return parseArtifact(artifact);
}

/**
 * The signature of the columns a model reads: every column of `table` but `exclude` (the target,
 * row identifiers), with their kinds, and the distinct values of text columns when there are at
 * most `maxCategories` of them (sorted by code point).
 */
export function inferSignature(
  table: Table,
  options: { readonly exclude?: readonly string[]; readonly maxCategories?: number } = {},
): ModelSignature {
  const exclude = new Set(options.exclude ?? []);
  const maxCategories = options.maxCategories ?? SIGNATURE_MAX_CATEGORIES;
  const inputs = table.columns
    .filter((c) => !exclude.has(c.name))
    .map((c): SignatureInput => {
      if (c.kind !== 'string') return { name: c.name, type: c.kind };
      const distinct = new Set<string>();
      for (const v of c.values) {
        if (v === null) continue;
        distinct.add(v);
        if (distinct.size > maxCategories) break;
      }
      if (distinct.size > maxCategories) return { name: c.name, type: 'string' };
      return { name: c.name, type: 'string', categories: [...distinct].sort(compareCodePoints) };
    });
  return { inputs };
}

/** Canonical JSON of the artifact: equal artifacts give equal text, hence equal checksums. */
export function serializeArtifact(artifact: ModelArtifact): string {
  assertPlainJson(artifact, '$');
  return canonicalJson(artifact);
}

/**
 * Throws unless `value` is plain JSON that survives a round trip unchanged: finite numbers,
 * strings, booleans, null, arrays and plain objects (no NaN, Infinity, typed arrays, undefined
 * array slots, functions or class instances).
 */
function assertPlainJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ModelArtifactError(
        `${path} is ${String(value)}; a model artifact holds finite numbers only.`,
      );
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => assertPlainJson(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new ModelArtifactError(
        `${path} is a ${value.constructor.name}; a model artifact holds plain arrays and objects only.`,
      );
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      assertPlainJson(item, `${path}.${key}`);
    }
    return;
  }
  throw new ModelArtifactError(`${path} is a ${typeof value}, which JSON cannot hold.`);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, message: string): never {
  throw new ModelArtifactError(`Model artifact: ${path} ${message}`);
}

function readString(record: Record<string, unknown>, key: string, path: string): string {
  const value = record[key];
  if (typeof value !== 'string' || value.length === 0) fail(`${path}.${key}`, 'must be a non-empty string.');
  return value;
}

function readStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string'))
    fail(path, 'must be a list of strings.');
  return value;
}

const PROBLEM_TYPES: readonly ProblemType[] = ['classification', 'regression', 'clustering'];
const SIGNATURE_TYPES: readonly SignatureType[] = ['number', 'string', 'boolean', 'datetime'];

function readTarget(value: unknown, problemType: ProblemType): ModelArtifactTarget | null {
  if (value === null || value === undefined) {
    if (problemType === 'clustering') return null;
    fail('target', `must name the target of a ${problemType} model.`);
  }
  if (!isRecord(value)) fail('target', 'must be an object with a "name".');
  const name = readString(value, 'name', 'target');
  const classes = value['classes'];
  if (problemType !== 'classification') {
    if (classes !== undefined) fail('target.classes', `is only for classification, not ${problemType}.`);
    return { name };
  }
  if (
    !Array.isArray(classes) ||
    classes.length < 1 ||
    !classes.every((c): c is ClassLabel => ['string', 'number', 'boolean'].includes(typeof c))
  )
    fail('target.classes', 'must list the class labels (strings, numbers or booleans).');
  const seen = new Set<string>();
  for (const c of classes) {
    const key = `${typeof c}:${String(c)}`;
    if (seen.has(key)) fail('target.classes', `lists ${JSON.stringify(c)} twice.`);
    seen.add(key);
  }
  return { name, classes };
}

function readSignature(value: unknown): ModelSignature {
  if (!isRecord(value) || !Array.isArray(value['inputs']))
    fail('signature', 'must be an object with an "inputs" list.');
  const names = new Set<string>();
  const inputs = value['inputs'].map((input: unknown, i): SignatureInput => {
    const path = `signature.inputs[${i}]`;
    if (!isRecord(input)) fail(path, 'must be an object with a "name" and a "type".');
    const name = readString(input, 'name', path);
    if (names.has(name)) fail(path, `repeats the input "${name}".`);
    names.add(name);
    const type = input['type'];
    if (typeof type !== 'string' || !(SIGNATURE_TYPES as readonly string[]).includes(type))
      fail(`${path}.type`, `must be one of ${SIGNATURE_TYPES.join(', ')}.`);
    const categories = input['categories'];
    if (categories === undefined) return { name, type: type as SignatureType };
    return {
      name,
      type: type as SignatureType,
      categories: readStringList(categories, `${path}.categories`),
    };
  });
  return { inputs };
}

function readTransforms(value: unknown): TransformState[] {
  if (!Array.isArray(value)) fail('transforms', 'must be a list of fitted transform states.');
  return value.map((state: unknown, i) => {
    if (!isRecord(state) || typeof state['kind'] !== 'string' || state['format'] !== 1)
      fail(`transforms[${i}]`, 'must be a fitted transform state with a "kind" and format 1.');
    return state as unknown as TransformState;
  });
}

function readMedia(value: unknown): MediaInput {
  const parsed = mediaInputSchema.safeParse(value);
  if (!parsed.success)
    fail(
      'media',
      `must describe the image or audio features the inputs are (${parsed.error.issues[0]?.message ?? 'malformed'}).`,
    );
  return parsed.data;
}

function readFeatures(value: unknown): ModelArtifactFeatures {
  if (!isRecord(value)) fail('features', 'must be an object with "names".');
  const names = readStringList(value['names'], 'features.names');
  if (names.length === 0) fail('features.names', 'must name at least one feature.');
  const encodings = value['categoricalEncodings'] ?? {};
  if (!isRecord(encodings))
    fail('features.categoricalEncodings', 'must map feature names to category counts.');
  const categoricalEncodings: Record<string, number> = {};
  for (const [name, count] of Object.entries(encodings)) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      fail(`features.categoricalEncodings.${name}`, 'must be a whole number ≥ 0.');
    if (!names.includes(name))
      fail(`features.categoricalEncodings.${name}`, 'is not one of the feature names.');
    categoricalEncodings[name] = count;
  }
  return { names, categoricalEncodings };
}

function readMetrics(value: unknown): Record<string, number> {
  if (value === undefined) return {};
  if (!isRecord(value)) fail('metrics', 'must map metric names to numbers.');
  const metrics: Record<string, number> = {};
  for (const [name, score] of Object.entries(value)) {
    if (typeof score !== 'number' || !Number.isFinite(score))
      fail(`metrics.${name}`, 'must be a finite number.');
    metrics[name] = score;
  }
  return metrics;
}

/**
 * Reads an artifact from its JSON text (or the already parsed value), checking every part it
 * needs to predict. The learner and transform states are checked further when a predictor is
 * loaded.
 */
export function parseArtifact(source: string | unknown): ModelArtifact {
  let value: unknown = source;
  if (typeof source === 'string') {
    try {
      value = JSON.parse(source) as unknown;
    } catch (error) {
      throw new ModelArtifactError(
        `Model artifact: not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
  }
  if (!isRecord(value)) fail('$', 'must be a JSON object.');
  if (value['format'] !== MODEL_ARTIFACT_FORMAT)
    fail(
      'format',
      `must be "${MODEL_ARTIFACT_FORMAT}"; got ${JSON.stringify(value['format']) ?? 'nothing'}.`,
    );
  const version = value['version'];
  if (version !== MODEL_ARTIFACT_VERSION) {
    if (typeof version === 'number' && version > MODEL_ARTIFACT_VERSION)
      fail(
        'version',
        `${version} is newer than this code reads (${MODEL_ARTIFACT_VERSION}); upgrade PipeWeave.`,
      );
    fail('version', `must be ${MODEL_ARTIFACT_VERSION}.`);
  }
  const problemType = value['problemType'];
  if (typeof problemType !== 'string' || !(PROBLEM_TYPES as readonly string[]).includes(problemType))
    fail('problemType', `must be one of ${PROBLEM_TYPES.join(', ')}.`);
  const pt = problemType as ProblemType;
  const learner = value['learner'];
  if (!isRecord(learner) || typeof learner['kind'] !== 'string' || learner['format'] !== 1)
    fail('learner', 'must be a fitted learner state with a "kind" and format 1.');
  const trainedAt = readString(value, 'trainedAt', '$');
  if (Number.isNaN(Date.parse(trainedAt))) fail('trainedAt', 'must be an ISO 8601 date and time.');
  const seed = value['seed'];
  if (typeof seed !== 'number' || !Number.isInteger(seed)) fail('seed', 'must be a whole number.');
  return {
    format: MODEL_ARTIFACT_FORMAT,
    version: MODEL_ARTIFACT_VERSION,
    problemType: pt,
    target: readTarget(value['target'], pt),
    signature: readSignature(value['signature']),
    transforms: readTransforms(value['transforms']),
    ...(value['media'] === undefined ? {} : { media: readMedia(value['media']) }),
    features: readFeatures(value['features']),
    learner: learner as LearnerState,
    trainedAt,
    seed,
    frameworkVersion: readString(value, 'frameworkVersion', '$'),
    metrics: readMetrics(value['metrics']),
  };
}

// ---------------------------------------------------------------------------------------------
// Prediction
// ---------------------------------------------------------------------------------------------

export interface TablePrediction {
  /**
   * One per row: the class label (classification, as in `target.classes`), the value
   * (regression) or the cluster index (clustering).
   */
  readonly predictions: (string | number | boolean)[];
  /** Classification: the probability of each class per row, keyed by String(label). */
  readonly probabilities?: Record<string, Float64Array>;
  /** Classification: the labels in the order of `probabilities`' keys. */
  readonly classes?: readonly ClassLabel[];
}

export interface ModelPredictor {
  readonly problemType: ProblemType;
  readonly signature: ModelSignature;
  /** The column the model was trained to predict (null for clustering). */
  readonly target: ModelArtifactTarget | null;
  readonly classes?: readonly ClassLabel[];
  /** How the inputs are made from a file a request sends, when they are media features. */
  readonly media?: MediaInput;
  /** Predicts every row of `table` (extra columns are ignored; missing inputs are an error). */
  predictTable(table: Table): TablePrediction;
}

/** Keeps the signature's columns, in its order, checking that each is present with its type. */
function selectInputs(signature: ModelSignature, table: Table): Table {
  const byName = new Map<string, TableColumn>(table.columns.map((c) => [c.name, c]));
  const missing = signature.inputs.filter((input) => !byName.has(input.name)).map((input) => input.name);
  if (missing.length > 0) {
    const listed = missing.slice(0, 20).map((n) => `"${n}"`);
    const more = missing.length > 20 ? ` and ${missing.length - 20} more` : '';
    throw new PredictionInputError(
      `The rows lack ${missing.length === 1 ? 'the input' : 'inputs'} ${listed.join(', ')}${more} the model was trained on.`,
      missing[0],
    );
  }
  const columns = signature.inputs.map((input) => {
    const column = byName.get(input.name);
    if (!column) throw new PredictionInputError(`The rows lack the input "${input.name}".`, input.name);
    if (column.kind !== input.type)
      throw new PredictionInputError(
        `Input "${input.name}" is ${column.kind}; the model expects ${input.type}.`,
        input.name,
      );
    return column;
  });
  return createTable(columns, table.nRows);
}

/**
 * A predictor for `artifact` (parsed first when given as text or a plain value): restores the
 * learner once, then each `predictTable` replays the transforms in prediction mode, builds the
 * learner's features and predicts.
 */
export function loadPredictor(
  artifact: ModelArtifact | string,
  options: { readonly catalog?: LearnerCatalog } = {},
): ModelPredictor {
  const a = typeof artifact === 'string' ? parseArtifact(artifact) : artifact;
  let model: FittedModel;
  try {
    model = restoreModel(a.learner, options.catalog);
  } catch (error) {
    throw new ModelArtifactError(
      `Model artifact: the learner state cannot be restored (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (model.problemType !== a.problemType)
    throw new ModelArtifactError(
      `Model artifact: the learner is a ${model.problemType} model but the artifact says ${a.problemType}.`,
    );
  const classes = a.target?.classes;
  if (model.problemType === 'classification') {
    if (!classes || classes.length !== model.nClasses)
      throw new ModelArtifactError(
        `Model artifact: the learner has ${model.nClasses} classes but target.classes lists ${classes?.length ?? 0}.`,
      );
  }
  const features = (table: Table): FeatureMatrix => {
    const inputs = selectInputs(a.signature, table);
    const transformed = applyTransformChain(a.transforms, inputs, { mode: 'prediction' });
    return toFeatureMatrix(transformed, a.features.names, a.features.categoricalEncodings);
  };
  return {
    problemType: a.problemType,
    signature: a.signature,
    target: a.target,
    ...(classes ? { classes } : {}),
    ...(a.media ? { media: a.media } : {}),
    predictTable(table: Table): TablePrediction {
      const x = features(table);
      if (model.problemType === 'classification') {
        const labels = classes ?? [];
        const proba = model.predictProba(x);
        const index = argmaxRows(proba, x.nRows);
        const probabilities: Record<string, Float64Array> = {};
        labels.forEach((label, c) => {
          probabilities[String(label)] = proba[c] ?? new Float64Array(x.nRows);
        });
        return {
          predictions: Array.from(index, (c) => labels[c] ?? c),
          probabilities,
          classes: labels,
        };
      }
      return { predictions: Array.from(model.predict(x)) };
    },
  };
}
