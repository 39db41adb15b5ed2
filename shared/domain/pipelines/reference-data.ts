import { FORECASTER_KINDS } from '../forecasting/forecaster';
import { learnersFor } from '../learning/learner-catalog';
import { nodeParametersSchema } from '../nodes/node-parameters-schema';
import {
  TRANSFORM_NODE_KINDS,
  transformNodeKey,
  type TransformKind,
} from '../nodes/library/learning/transform-nodes';
import type { Database } from '../../db/database';
import { withSystemScope } from '../../db/tenant';
import { jsonb, textArray } from '../../db/schema';
import { seedTutorials } from '../tutorials/tutorial-repository';
import type {
  CreditPackageTierRestriction,
  JsonObject,
  Modality,
  NodeRuntime,
  NodeTypeKind,
  TaskType,
} from '../../db/schema';

/**
 * Reference data every installation has: the node-type catalog, the ML task templates and the
 * credit packages. `seedReferenceData` upserts it by key and can run any number of times (it runs
 * after every migration on deploy and at local start).
 *
 * Upserts update what the code owns (names, schemas, prices) and leave what operators own alone:
 * a credit package's `stripe_price_id` and `is_active`, a node type's `is_active`.
 */

export interface NodePort {
  name: string;
  /** `table`: a Parquet table; `file`: an exported file; `model`: a trained model artifact. */
  type: 'table' | 'file' | 'model';
  required?: boolean;
}

/** How long a node is expected to run; the run's estimate prices it (billing/compute-cost.ts). */
export interface NodeCostModel extends JsonObject {
  /** Seconds the node takes whatever its input (start, read, write). */
  baseSeconds: number;
  /** Seconds per million input rows (pro rata). */
  secondsPerMillionRows: number;
}

export interface NodeTypeDefinition {
  key: string;
  name: string;
  description: string;
  kind: NodeTypeKind;
  modalities: Modality[];
  inputPorts: NodePort[];
  outputPorts: NodePort[];
  /**
   * JSON Schema (2020-12) of the parameters, with defaults: derived from the zod schema of the
   * node's implementation (shared/nodes/registry.ts), never written by hand, so the catalog and
   * the runtime cannot disagree.
   */
  parametersSchema: JsonObject;
  runtime: NodeRuntime;
  costModel: NodeCostModel;
  version: number;
}

const ALL_MODALITIES: Modality[] = [
  'tabular',
  'text',
  'image',
  'audio',
  'video',
  'timeseries',
  'seismic',
  'multimodal',
];
const TABLE_IN: NodePort[] = [{ name: 'table', type: 'table', required: true }];
const TABLE_OUT: NodePort[] = [{ name: 'table', type: 'table' }];

const TABULAR: Modality[] = ['tabular'];
const TRAIN_TEST_IN: NodePort[] = [
  { name: 'train', type: 'table', required: true },
  { name: 'test', type: 'table' },
];

const TRANSFORM_DESCRIPTIONS: Record<TransformKind, { name: string; description: string }> = {
  impute: {
    name: 'Impute missing values',
    description:
      'Fills missing values with the mean, median, most frequent value or a constant learned from the training rows.',
  },
  scale: {
    name: 'Scale',
    description: 'Standard, min-max or robust scaling with statistics of the training rows.',
  },
  one_hot: {
    name: 'One-hot encode',
    description:
      'One column per category (at most maxCategories; rare ones become "other"; unseen ones all zeros).',
  },
  ordinal_encode: {
    name: 'Ordinal encode',
    description: 'Category codes 0…n−1 that tree learners split on natively.',
  },
  date_parts: {
    name: 'Date parts',
    description: 'Year, month, day, weekday, hour, day of year and weekend flag from date columns.',
  },
  clip_outliers: {
    name: 'Clip outliers',
    description: 'Clips values to bounds learned from the training rows (IQR or quantiles).',
  },
  deduplicate: {
    name: 'Deduplicate',
    description: 'Drops repeated rows from the training and test tables (never from prediction requests).',
  },
  cast: { name: 'Cast columns', description: 'Converts columns to number, text, boolean or date.' },
  drop_columns: {
    name: 'Drop empty or constant columns',
    description:
      'Drops columns that are constant or mostly missing in the training rows, saying which and why.',
  },
  derived_column: {
    name: 'Derived column',
    description: 'A new column from a safe expression over other columns, e.g. log(income + 1).',
  },
  tfidf: {
    name: 'Text to TF-IDF features',
    description: 'TF-IDF features of a text column with a vocabulary learned from the training rows.',
  },
};

const TRANSFORM_NODE_TYPES: NodeTypeDefinition[] = TRANSFORM_NODE_KINDS.map((kind) => ({
  key: transformNodeKey(kind),
  ...TRANSFORM_DESCRIPTIONS[kind],
  kind: 'transform',
  modalities: TABULAR,
  inputPorts: TRAIN_TEST_IN,
  outputPorts: [
    { name: 'train', type: 'table' },
    { name: 'test', type: 'table' },
    { name: 'transforms', type: 'file' },
  ],
  parametersSchema: nodeParametersSchema(transformNodeKey(kind)),
  runtime: 'lambda',
  costModel: { baseSeconds: 2, secondsPerMillionRows: 30 },
  version: 1,
}));

const IMAGE: Modality[] = ['image'];
/**
 * Learning nodes read tables; image and audio datasets reach them through image.features and
 * audio.features, text datasets (a table of documents) through text.tfidf.
 */
const LEARNING_MODALITIES: Modality[] = ['tabular', 'image', 'audio', 'text'];

const imageNodeType = (
  key: string,
  name: string,
  description: string,
  secondsPerMillionRows: number,
): NodeTypeDefinition => ({
  key,
  name,
  description,
  kind: 'transform',
  modalities: IMAGE,
  inputPorts: TABLE_IN,
  outputPorts: TABLE_OUT,
  parametersSchema: nodeParametersSchema(key),
  // Each image node's "compute" param moves it to Fargate when the images outgrow a Lambda.
  runtime: 'lambda',
  costModel: { baseSeconds: 3, secondsPerMillionRows },
  version: 1,
});

const TEXT_NODE_TYPES: NodeTypeDefinition[] = [
  {
    key: 'text.clean',
    name: 'Clean text',
    description:
      'Strips HTML/XML markup, normalises Unicode (NFKC by default), lower-cases and collapses white space in text columns; replayed on the text sent for prediction.',
  },
  {
    key: 'text.tokenize',
    name: 'Words without stop words',
    description:
      'Splits text into words and drops the stop words of its language (detected on the training rows, or named: English, French, German, Spanish, Italian, Portuguese, Dutch); the words are written back separated by spaces.',
  },
  {
    key: 'text.tfidf',
    name: 'Text to TF-IDF features',
    description:
      "TF-IDF features of a text column (scikit-learn's TfidfVectorizer) with a vocabulary learned from the training rows; the fitted vocabulary is saved with the model and replayed at prediction.",
  },
].map((node) => ({
  ...node,
  kind: 'transform' as const,
  modalities: ['text'],
  inputPorts: TRAIN_TEST_IN,
  outputPorts: [
    { name: 'train', type: 'table' as const },
    { name: 'test', type: 'table' as const },
    { name: 'transforms', type: 'file' as const },
  ],
  parametersSchema: nodeParametersSchema(node.key),
  runtime: 'lambda' as const,
  costModel: { baseSeconds: 2, secondsPerMillionRows: 60 },
  version: 1,
}));

const TEXT_ENTITIES_NODE_TYPE: NodeTypeDefinition = {
  key: 'text.entities',
  name: 'English entities (rule-based)',
  description:
    'Finds the people, places and organisations named in English text with compromise, a rule-based tagger (a lexicon and word-shape rules, not a trained model): adds people, places and organizations columns (names separated by "; ") and an entities column (JSON). On the labelled sentences of the repository it reaches precision 0.94, recall 0.85, F1 0.89.',
  kind: 'transform',
  modalities: ['text'],
  inputPorts: TABLE_IN,
  outputPorts: TABLE_OUT,
  parametersSchema: nodeParametersSchema('text.entities'),
  runtime: 'lambda',
  costModel: { baseSeconds: 3, secondsPerMillionRows: 2_000 },
  version: 1,
};

const IMAGE_NODE_TYPES: NodeTypeDefinition[] = [
  imageNodeType(
    'image.resize',
    'Resize images',
    'Resizes every image of an image manifest to width × height (cover, contain, fill or inside) and writes them as PNG, JPEG or WebP.',
    8_000,
  ),
  imageNodeType(
    'image.normalize',
    'Normalise images',
    'Writes every image in one colour space (sRGB or grey), transparency flattened onto white, optionally with its contrast stretched to the full range.',
    8_000,
  ),
  imageNodeType(
    'image.augment',
    'Augment images',
    'Adds seeded augmented copies of every image: random crops, mirror images, rotations and colour jitter (brightness, saturation, hue); the same seed gives the same copies.',
    20_000,
  ),
  imageNodeType(
    'image.features',
    'Image features',
    'Turns every image into a row of numbers for the tabular learners: downsampled pixels, colour histograms and HOG (histograms of oriented gradients), with the label and any other columns you keep.',
    10_000,
  ),
];

const AUDIO_NODE_TYPES: NodeTypeDefinition[] = [
  {
    ...imageNodeType(
      'audio.resample',
      'Resample audio',
      'Writes every recording of an audio manifest at one sample rate (band-limited windowed-sinc), mixed down to mono unless told otherwise.',
      20_000,
    ),
    modalities: ['audio'],
  },
  {
    ...imageNodeType(
      'audio.features',
      'Audio features',
      'Turns every recording into a row of numbers for the tabular learners: MFCC means and deviations, log-mel band means, zero-crossing rate, spectral centroid and roll-off and RMS (mean and deviation over frames), with the label and any other columns you keep.',
      30_000,
    ),
    modalities: ['audio'],
  },
];

const SEISMIC: Modality[] = ['seismic'];
/** A chunked float32 trace store (its manifest), as seismic nodes pass traces on. */
const TRACES_IN: NodePort[] = [{ name: 'traces', type: 'file', required: true }];
const TRACES_OUT: NodePort[] = [{ name: 'traces', type: 'file' }];
const seismicNodeType = (
  key: string,
  name: string,
  description: string,
  ports: { in?: NodePort[]; out?: NodePort[]; kind?: NodeTypeKind } = {},
): NodeTypeDefinition => ({
  key,
  name,
  description,
  kind: ports.kind ?? 'transform',
  modalities: SEISMIC,
  inputPorts: ports.in ?? TRACES_IN,
  outputPorts: ports.out ?? TRACES_OUT,
  parametersSchema: nodeParametersSchema(key),
  runtime: 'lambda',
  // Rows are traces: about 1,000 samples each.
  costModel: { baseSeconds: 3, secondsPerMillionRows: 2_000 },
  version: 1,
});

const SEISMIC_NODE_TYPES: NodeTypeDefinition[] = [
  seismicNodeType(
    'seismic.source',
    'Seismic traces',
    "Reads a SEG-Y dataset version's traces (its chunked trace store) for the seismic nodes.",
    { in: [], kind: 'source' },
  ),
  seismicNodeType(
    'seismic.bandpass',
    'Band-pass filter',
    'Zero-phase Butterworth band-, low- or high-pass (second-order sections run forwards and backwards, as scipy.signal.sosfiltfilt), chunk by chunk.',
  ),
  seismicNodeType(
    'seismic.agc',
    'Automatic gain control',
    'Divides every sample by the RMS amplitude of a sliding window.',
  ),
  seismicNodeType(
    'seismic.fx_deconvolution',
    'f-x deconvolution',
    'f-x prediction filtering: at each frequency, predicts every trace from its neighbours and keeps what is predictable, removing random noise.',
  ),
  seismicNodeType(
    'seismic.median_filter',
    'Median filter',
    'A running median along each trace, removing spikes.',
  ),
  seismicNodeType(
    'seismic.first_breaks',
    'First-break picking',
    'Picks each trace’s first arrival where the STA/LTA energy ratio first exceeds a threshold: a table of trace, sample, time and ratio.',
    { out: TABLE_OUT, kind: 'analyze' },
  ),
  seismicNodeType(
    'seismic.denoise',
    'Denoise with a model',
    'Runs a registered denoising model (a filter chain) or a chain given here over the traces, writes the denoised SEG-Y with every header as uploaded, records the SNR gain (and the MSE against a clean reference) as the job’s result, and can register the chain as a model.',
    { out: [...TRACES_OUT, { name: 'segy', type: 'file' }], kind: 'predict' },
  ),
];

const VIDEO_NODE_TYPES: NodeTypeDefinition[] = [
  {
    ...imageNodeType(
      'video.frames',
      'Sample video frames',
      'Samples frames from every clip of a video manifest (so many a second, up to a cap per clip, scaled to a width) into an image manifest with each frame’s clip, label and time, for the image nodes.',
      200_000,
    ),
    modalities: ['video'],
  },
  {
    ...imageNodeType(
      'video.features',
      'Video features',
      'Turns the frames of each clip into image features (downsampled pixels, colour histograms, HOG) and pools them per clip (mean and standard deviation): one row per clip for the tabular learners.',
      20_000,
    ),
    modalities: ['video'],
  },
];

const MODEL_OUT: NodePort[] = [
  { name: 'model', type: 'model' },
  { name: 'leaderboard', type: 'file' },
];

const TIME_SERIES: Modality[] = ['timeseries'];
const TIME_SERIES_NODE_TYPES: NodeTypeDefinition[] = [
  {
    key: 'ts.resample',
    name: 'Resample a time series',
    description:
      'Buckets each series by minute, hour, day, week, month, quarter or year and aggregates its values per bucket (mean, sum, min, max, median, first, last or count); empty buckets are kept with missing values.',
    kind: 'transform',
    modalities: TIME_SERIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('ts.resample'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'ts.fill',
    name: 'Fill gaps in a time series',
    description:
      'Fills missing values of each series in time order: forward fill, or linear interpolation in time.',
    kind: 'transform',
    modalities: TIME_SERIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('ts.fill'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'ts.features',
    name: 'Time-series features',
    description:
      'Adds lags, rolling-window statistics over the values before each row, and calendar parts of the time column, series by series.',
    kind: 'transform',
    modalities: TIME_SERIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('ts.features'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 40 },
    version: 1,
  },
  {
    key: 'ts.forecast',
    name: 'Forecast',
    description:
      'Backtests seasonal naive, Holt-Winters exponential smoothing and gradient boosting on lags from rolling origins (MASE, sMAPE, MAPE and RMSE per horizon), registers the best as a model you can ask for any horizon, and writes the forecast with its prediction interval as the job’s result.',
    kind: 'train',
    modalities: TIME_SERIES,
    inputPorts: TABLE_IN,
    outputPorts: [
      { name: 'model', type: 'model' },
      { name: 'leaderboard', type: 'file' },
      { name: 'forecast', type: 'table' },
    ],
    parametersSchema: nodeParametersSchema('ts.forecast'),
    runtime: 'lambda',
    costModel: { baseSeconds: 30, secondsPerMillionRows: 20_000 },
    version: 1,
  },
];

export const NODE_TYPES: readonly NodeTypeDefinition[] = [
  {
    key: 'dataset.source',
    name: 'Dataset',
    description: 'Reads a validated version of one of your datasets as a table.',
    kind: 'source',
    modalities: ALL_MODALITIES,
    inputPorts: [],
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('dataset.source'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 10 },
    version: 1,
  },
  {
    key: 'table.select_columns',
    name: 'Select columns',
    description: 'Keeps only the listed columns, in the order given.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.select_columns'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'table.rename_columns',
    name: 'Rename columns',
    description: 'Renames columns: each key is a current name, its value the new name.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.rename_columns'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'table.drop_columns',
    name: 'Drop columns',
    description: 'Removes the listed columns.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.drop_columns'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'table.filter_rows',
    name: 'Filter rows',
    description: 'Keeps the rows that match the conditions (all of them, or any of them).',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.filter_rows'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'table.sample',
    name: 'Sample rows',
    description:
      'Takes a random sample: a fraction of the rows or a number of rows, reproducible with a seed.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.sample'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 10 },
    version: 1,
  },
  {
    key: 'table.split',
    name: 'Train/test split',
    description:
      'Splits the rows into a train and a test table, reproducibly with a seed, optionally stratified.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: [
      { name: 'train', type: 'table' },
      { name: 'test', type: 'table' },
    ],
    parametersSchema: nodeParametersSchema('table.split'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  {
    key: 'table.join',
    name: 'Join tables',
    description: 'Joins two tables on key columns.',
    kind: 'transform',
    modalities: ALL_MODALITIES,
    inputPorts: [
      { name: 'left', type: 'table', required: true },
      { name: 'right', type: 'table', required: true },
    ],
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('table.join'),
    runtime: 'lambda',
    costModel: { baseSeconds: 4, secondsPerMillionRows: 40 },
    version: 1,
  },
  {
    key: 'export.parquet',
    name: 'Export as Parquet',
    description: 'Writes the table as a Parquet file you can download.',
    kind: 'export',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: [{ name: 'file', type: 'file' }],
    parametersSchema: nodeParametersSchema('export.parquet'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 10 },
    version: 1,
  },
  {
    key: 'export.csv',
    name: 'Export as CSV',
    description: 'Writes the table as a CSV file you can download.',
    kind: 'export',
    modalities: ALL_MODALITIES,
    inputPorts: TABLE_IN,
    outputPorts: [{ name: 'file', type: 'file' }],
    parametersSchema: nodeParametersSchema('export.csv'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 20 },
    version: 1,
  },
  ...TRANSFORM_NODE_TYPES,
  {
    key: 'model.train',
    name: 'Train a model',
    description:
      'Fits one learner with the hyperparameters you give on the train table, scores the test table, and registers the model with its fitted transforms.',
    kind: 'train',
    modalities: LEARNING_MODALITIES,
    inputPorts: TRAIN_TEST_IN,
    outputPorts: MODEL_OUT,
    parametersSchema: nodeParametersSchema('model.train'),
    runtime: 'lambda',
    costModel: { baseSeconds: 4, secondsPerMillionRows: 200 },
    version: 1,
  },
  {
    key: 'model.automl',
    name: 'AutoML',
    description:
      'Searches learners and hyperparameters inside a hard time budget (cheap learners on a sample first), records one experiment run per trial, and registers the best model (or a greedy ensemble).',
    kind: 'train',
    modalities: TABULAR,
    inputPorts: TRAIN_TEST_IN,
    outputPorts: MODEL_OUT,
    parametersSchema: nodeParametersSchema('model.automl'),
    // Budgets above what a Lambda allows run on Fargate (decided per node when the job starts).
    runtime: 'lambda',
    costModel: { baseSeconds: 10, secondsPerMillionRows: 500 },
    version: 1,
  },
  {
    key: 'model.evaluate',
    name: 'Evaluate a model',
    description:
      'Scores a trained model on held-out rows: every metric of its problem type, the confusion matrix, and feature importance (learned and by permutation).',
    kind: 'evaluate',
    modalities: LEARNING_MODALITIES,
    inputPorts: [
      { name: 'model', type: 'model', required: true },
      { name: 'table', type: 'table', required: true },
    ],
    outputPorts: [{ name: 'report', type: 'file' }],
    parametersSchema: nodeParametersSchema('model.evaluate'),
    runtime: 'lambda',
    costModel: { baseSeconds: 2, secondsPerMillionRows: 100 },
    version: 1,
  },
  {
    key: 'model.predict',
    name: 'Predict with a model',
    description:
      'Appends a registered model’s predictions to a table (and one probability column per class for a classifier), batch by batch whatever its size; scores them when the table holds the true values, records a job result and can register the output as a new dataset version. The model is named by id, name@alias or name and version, or connected from a training node.',
    kind: 'predict',
    modalities: LEARNING_MODALITIES,
    inputPorts: [
      { name: 'table', type: 'table', required: true },
      { name: 'model', type: 'model' },
    ],
    outputPorts: TABLE_OUT,
    parametersSchema: nodeParametersSchema('model.predict'),
    runtime: 'lambda',
    costModel: { baseSeconds: 3, secondsPerMillionRows: 120 },
    version: 1,
  },
  ...IMAGE_NODE_TYPES,
  ...TEXT_NODE_TYPES,
  TEXT_ENTITIES_NODE_TYPE,
  ...AUDIO_NODE_TYPES,
  ...VIDEO_NODE_TYPES,
  ...TIME_SERIES_NODE_TYPES,
  ...SEISMIC_NODE_TYPES,
  {
    key: 'monitoring.dinsight',
    name: 'DInsight baseline map',
    description:
      'Maps the rows of a baseline (the feature columns startDim…endDim) in 2-D with DInsight’s similarity fit, and keeps what monitoring needs: the map, a feature-space anomaly scorer calibrated on the baseline and per-feature reference statistics. Created by POST /analyses; runs on Fargate above 2,000 rows.',
    kind: 'analyze',
    modalities: ['tabular'],
    inputPorts: [{ name: 'table', type: 'table', required: true }],
    outputPorts: [{ name: 'coordinates', type: 'table' }],
    parametersSchema: nodeParametersSchema('monitoring.dinsight'),
    runtime: 'lambda',
    costModel: { baseSeconds: 5, secondsPerMillionRows: 20_000 },
    version: 1,
  },
  {
    key: 'monitoring.dinsight_monitor',
    name: 'DInsight monitoring',
    description:
      'Places the rows of a new version on a baseline’s fixed map, scores each against the baseline in feature space (nearest baseline row, PCA T² and reconstruction error) beside DInsight’s 2-D Mahalanobis score, records anomalies with their top features, tests every feature for drift and evaluates the dataset’s alert rules. Created by POST /analyses/{id}/monitor and by automatic monitoring.',
    kind: 'analyze',
    modalities: ['tabular'],
    inputPorts: [{ name: 'table', type: 'table', required: true }],
    outputPorts: [{ name: 'coordinates', type: 'table' }],
    parametersSchema: nodeParametersSchema('monitoring.dinsight_monitor'),
    runtime: 'lambda',
    costModel: { baseSeconds: 3, secondsPerMillionRows: 10_000 },
    version: 1,
  },
];

export interface MlTaskDefinition {
  key: string;
  name: string;
  description: string;
  modality: Modality;
  taskType: TaskType;
  metrics: string[];
  /** Starting pipeline (nodes + edges) and the algorithms that suit the task. */
  template: JsonObject;
  /** Listed by GET /ml-tasks only when every algorithm and node it needs exists. */
  available: boolean;
}

function splitTemplate(recommendedAlgorithms: string[], splitParams: JsonObject = {}): JsonObject {
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', params: {} },
      { id: 'split', type: 'table.split', params: { testFraction: 0.2, seed: 42, ...splitParams } },
    ],
    edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'split', port: 'table' } }],
    recommendedAlgorithms,
  };
}

const edge = (from: string, fromPort: string, to: string, toPort: string) => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});

/**
 * source → split → impute → encode → AutoML: the training part of the tabular templates. The split
 * comes first so that every transform is fitted on the training rows only; the model replays its
 * transforms on raw rows, so what follows it reads the raw test rows, as a prediction request would.
 */
function trainingPart(problemType: 'classification' | 'regression', testFraction: number) {
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
      { id: 'split', type: 'table.split', label: 'Train/test split', params: { testFraction, seed: 42 } },
      {
        id: 'impute',
        type: 'transform.impute',
        label: 'Impute missing values',
        params: { strategy: 'median' },
      },
      { id: 'encode', type: 'transform.ordinal_encode', label: 'Encode categories', params: {} },
      {
        id: 'automl',
        type: 'model.automl',
        label: 'AutoML',
        params: { problemType, timeBudgetSeconds: 60, maxTrials: 20, seed: 42 },
      },
    ],
    edges: [
      edge('source', 'table', 'split', 'table'),
      edge('split', 'train', 'impute', 'train'),
      edge('split', 'test', 'impute', 'test'),
      edge('impute', 'train', 'encode', 'train'),
      edge('impute', 'test', 'encode', 'test'),
      edge('encode', 'train', 'automl', 'train'),
      edge('encode', 'test', 'automl', 'test'),
    ],
  };
}

/**
 * The training part, then one node that takes the model AutoML registered and the raw test rows
 * (its `model` and `table` inputs).
 */
function trainThen(
  problemType: 'classification' | 'regression',
  testFraction: number,
  last: { id: string; type: string; label: string },
): JsonObject {
  const training = trainingPart(problemType, testFraction);
  return {
    nodes: [...training.nodes, { ...last, params: {} }],
    edges: [
      ...training.edges,
      edge('automl', 'model', last.id, 'model'),
      edge('split', 'test', last.id, 'table'),
    ],
  };
}

/** … → AutoML → evaluate: every metric of the problem type on the raw test rows. */
const learningTemplate = (problemType: 'classification' | 'regression', testFraction: number) =>
  trainThen(problemType, testFraction, {
    id: 'evaluate',
    type: 'model.evaluate',
    label: 'Evaluate on the test rows',
  });

/**
 * … → AutoML (which registers the model) → predict: the registered model predicts the raw test
 * rows in batches, the way it would predict any table later, and the job records the result.
 */
const predictionTemplate = (problemType: 'classification' | 'regression', testFraction: number) =>
  trainThen(problemType, testFraction, {
    id: 'predict',
    type: 'model.predict',
    label: 'Predict the test rows',
  });

/**
 * source → text and label → stratified split → clean → words without stop words → TF-IDF →
 * naive Bayes → evaluate. The model carries the three text steps, so it predicts raw text (a
 * "text" input per row), and the evaluate node scores the raw test rows as a request would.
 */
const TEXT_CLASSIFICATION_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
    {
      id: 'columns',
      type: 'table.select_columns',
      label: 'Documents and labels',
      params: { columns: ['text', 'label'] },
    },
    {
      id: 'split',
      type: 'table.split',
      label: 'Train/test split',
      params: { testFraction: 0.2, seed: 42, stratifyColumn: 'label' },
    },
    { id: 'clean', type: 'text.clean', label: 'Clean text', params: { target: 'label' } },
    { id: 'tokenize', type: 'text.tokenize', label: 'Words without stop words', params: { target: 'label' } },
    { id: 'tfidf', type: 'text.tfidf', label: 'TF-IDF', params: { target: 'label', column: 'text' } },
    {
      id: 'train',
      type: 'model.train',
      label: 'Naive Bayes',
      params: { learner: 'multinomial_nb', target: 'label', problemType: 'classification', seed: 42 },
    },
    { id: 'evaluate', type: 'model.evaluate', label: 'Evaluate on the test rows', params: {} },
  ],
  edges: [
    edge('source', 'table', 'columns', 'table'),
    edge('columns', 'table', 'split', 'table'),
    edge('split', 'train', 'clean', 'train'),
    edge('split', 'test', 'clean', 'test'),
    edge('clean', 'train', 'tokenize', 'train'),
    edge('clean', 'test', 'tokenize', 'test'),
    edge('tokenize', 'train', 'tfidf', 'train'),
    edge('tokenize', 'test', 'tfidf', 'test'),
    edge('tfidf', 'train', 'train', 'train'),
    edge('tfidf', 'test', 'train', 'test'),
    edge('train', 'model', 'evaluate', 'model'),
    edge('split', 'test', 'evaluate', 'table'),
  ],
};

const CLUSTERING_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
    { id: 'split', type: 'table.split', label: 'Train/test split', params: { testFraction: 0.2, seed: 42 } },
    {
      id: 'impute',
      type: 'transform.impute',
      label: 'Impute missing values',
      params: { strategy: 'median' },
    },
    { id: 'scale', type: 'transform.scale', label: 'Standardise', params: { method: 'standard' } },
    {
      id: 'automl',
      type: 'model.automl',
      label: 'k-means',
      params: {
        problemType: 'clustering',
        learners: ['kmeans'],
        timeBudgetSeconds: 60,
        maxTrials: 8,
        seed: 42,
      },
    },
  ],
  edges: [
    edge('source', 'table', 'split', 'table'),
    edge('split', 'train', 'impute', 'train'),
    edge('split', 'test', 'impute', 'test'),
    edge('impute', 'train', 'scale', 'train'),
    edge('impute', 'test', 'scale', 'test'),
    edge('scale', 'train', 'automl', 'train'),
    edge('scale', 'test', 'automl', 'test'),
  ],
};

/**
 * source → split (stratified by label) → image features of the train and of the test images →
 * histogram gradient boosting (registered) → evaluate on the test images' features. New images
 * are predicted by a pipeline of image.features then model.predict on their dataset version.
 */
const IMAGE_CLASSIFICATION_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'dataset.source', label: 'Image dataset', params: {} },
    {
      id: 'split',
      type: 'table.split',
      label: 'Train/test split',
      params: { testFraction: 0.25, seed: 42, stratifyColumn: 'label' },
    },
    { id: 'features_train', type: 'image.features', label: 'Features of the training images', params: {} },
    { id: 'features_test', type: 'image.features', label: 'Features of the test images', params: {} },
    {
      id: 'train',
      type: 'model.train',
      label: 'Gradient boosting',
      params: { target: 'label', problemType: 'classification', learner: 'hist_gradient_boosting', seed: 42 },
    },
    { id: 'evaluate', type: 'model.evaluate', label: 'Evaluate on the test images', params: {} },
  ],
  edges: [
    edge('source', 'table', 'split', 'table'),
    edge('split', 'train', 'features_train', 'table'),
    edge('split', 'test', 'features_test', 'table'),
    edge('features_train', 'table', 'train', 'train'),
    edge('features_test', 'table', 'train', 'test'),
    edge('train', 'model', 'evaluate', 'model'),
    edge('features_test', 'table', 'evaluate', 'table'),
  ],
};

/**
 * The same path for audio: source → split (stratified by label) → audio features of the train and
 * of the test recordings → histogram gradient boosting (registered) → evaluate.
 */
const AUDIO_CLASSIFICATION_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'dataset.source', label: 'Audio dataset', params: {} },
    {
      id: 'split',
      type: 'table.split',
      label: 'Train/test split',
      params: { testFraction: 0.25, seed: 42, stratifyColumn: 'label' },
    },
    {
      id: 'features_train',
      type: 'audio.features',
      label: 'Features of the training recordings',
      params: {},
    },
    { id: 'features_test', type: 'audio.features', label: 'Features of the test recordings', params: {} },
    {
      id: 'train',
      type: 'model.train',
      label: 'Gradient boosting',
      params: { target: 'label', problemType: 'classification', learner: 'hist_gradient_boosting', seed: 42 },
    },
    { id: 'evaluate', type: 'model.evaluate', label: 'Evaluate on the test recordings', params: {} },
  ],
  edges: (IMAGE_CLASSIFICATION_TEMPLATE['edges'] as JsonObject[]).map((e) => ({ ...e })),
};

/**
 * seismic.source → seismic.denoise: the traces denoised by a filter chain, registered as a
 * denoising model, or by a registered model named on the denoise node instead of the chain
 * ("model": an id, "name@alias", or a name with "version"); the job's result holds the denoised
 * SEG-Y as a dataset version, the SNR gain and, with "cleanDatasetId", the MSE against a clean
 * reference.
 */
const SEISMIC_DENOISING_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'seismic.source', label: 'Seismic dataset', params: {} },
    {
      id: 'denoise',
      type: 'seismic.denoise',
      label: 'Denoise',
      params: {
        chain: [
          { type: 'bandpass', params: { order: 4, lowHz: 5, highHz: 80 } },
          { type: 'fx_deconvolution' },
        ],
        registerAs: 'seismic denoiser',
        outputDataset: 'denoised traces',
      },
    },
  ],
  edges: [edge('source', 'traces', 'denoise', 'traces')],
};

const algorithmsFor = (problemType: 'classification' | 'regression' | 'clustering') =>
  learnersFor(problemType).map((spec) => spec.key);

/**
 * source → monthly means → forward fill → forecast: a regular series without gaps, then a backtest
 * of every forecaster and the best one registered.
 */
const FORECASTING_TEMPLATE: JsonObject = {
  nodes: [
    { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
    {
      id: 'resample',
      type: 'ts.resample',
      label: 'Monthly means',
      params: { frequency: 'month', aggregation: 'mean' },
    },
    { id: 'fill', type: 'ts.fill', label: 'Fill gaps', params: { method: 'forward' } },
    {
      id: 'forecast',
      type: 'ts.forecast',
      label: 'Backtest and forecast',
      params: { horizon: 12, folds: 3, metric: 'mase', seed: 42 },
    },
  ],
  edges: [
    edge('source', 'table', 'resample', 'table'),
    edge('resample', 'table', 'fill', 'table'),
    edge('fill', 'table', 'forecast', 'table'),
  ],
};

export const ML_TASKS: readonly MlTaskDefinition[] = [
  {
    key: 'tabular.classification',
    name: 'Tabular classification',
    description: 'Predict a category from the other columns of a table.',
    modality: 'tabular',
    taskType: 'classification',
    metrics: ['accuracy', 'balanced_accuracy', 'f1_macro', 'roc_auc', 'pr_auc', 'log_loss', 'brier_score'],
    template: {
      ...learningTemplate('classification', 0.2),
      recommendedAlgorithms: algorithmsFor('classification'),
    },
    available: true,
  },
  {
    key: 'tabular.regression',
    name: 'Tabular regression',
    description: 'Predict a number from the other columns of a table.',
    modality: 'tabular',
    taskType: 'regression',
    metrics: ['rmse', 'mae', 'r2', 'mape'],
    template: { ...learningTemplate('regression', 0.25), recommendedAlgorithms: algorithmsFor('regression') },
    available: true,
  },
  {
    key: 'tabular.clustering',
    name: 'Tabular clustering',
    description: 'Group similar rows without labels.',
    modality: 'tabular',
    taskType: 'clustering',
    metrics: ['silhouette', 'inertia'],
    template: { ...CLUSTERING_TEMPLATE, recommendedAlgorithms: algorithmsFor('clustering') },
    available: true,
  },
  {
    key: 'tabular.batch_prediction',
    name: 'Tabular classification with batch prediction',
    description:
      'Train a classifier, register it, and predict a whole table with it: a prediction and class probabilities per row.',
    modality: 'tabular',
    taskType: 'classification',
    metrics: ['accuracy', 'rows_predicted'],
    template: {
      ...predictionTemplate('classification', 0.2),
      recommendedAlgorithms: algorithmsFor('classification'),
    },
    available: true,
  },
  // Tasks whose learners do not exist yet are kept (their keys are stable) but not listed.
  {
    key: 'text.classification',
    name: 'Text classification',
    description: 'Assign a label to each text (sentiment, topic, intent).',
    modality: 'text',
    taskType: 'classification',
    metrics: ['accuracy', 'balanced_accuracy', 'f1_macro', 'log_loss'],
    template: {
      ...TEXT_CLASSIFICATION_TEMPLATE,
      recommendedAlgorithms: ['multinomial_nb', 'logistic_regression'],
    },
    available: true,
  },
  {
    key: 'text.ner',
    name: 'Named entity recognition',
    description: 'Find and label entities (people, places, organisations) in text.',
    modality: 'text',
    taskType: 'ner',
    metrics: ['entity_f1', 'precision', 'recall'],
    template: splitTemplate([]),
    available: false,
  },
  {
    key: 'image.classification',
    name: 'Image classification',
    description: 'Assign a label to each image.',
    modality: 'image',
    taskType: 'classification',
    metrics: ['accuracy', 'balanced_accuracy', 'f1_macro'],
    template: { ...IMAGE_CLASSIFICATION_TEMPLATE, recommendedAlgorithms: ['hist_gradient_boosting'] },
    available: true,
  },
  {
    key: 'audio.classification',
    name: 'Audio classification',
    description: 'Assign a label to each recording (spoken command, sound event, machine state).',
    modality: 'audio',
    taskType: 'classification',
    metrics: ['accuracy', 'balanced_accuracy', 'f1_macro'],
    template: { ...AUDIO_CLASSIFICATION_TEMPLATE, recommendedAlgorithms: ['hist_gradient_boosting'] },
    available: true,
  },
  {
    key: 'image.object_detection',
    name: 'Object detection',
    description: 'Locate and label objects in images with bounding boxes.',
    modality: 'image',
    taskType: 'object_detection',
    metrics: ['map_50', 'map_50_95'],
    template: splitTemplate([]),
    available: false,
  },
  {
    key: 'timeseries.forecasting',
    name: 'Time-series forecasting',
    description: 'Predict the next values of a series from its history.',
    modality: 'timeseries',
    taskType: 'forecasting',
    metrics: ['mase', 'smape', 'mape', 'rmse'],
    template: { ...FORECASTING_TEMPLATE, recommendedAlgorithms: [...FORECASTER_KINDS] },
    available: true,
  },
  {
    key: 'seismic.denoising',
    name: 'Seismic denoising',
    description: 'Remove noise from seismic traces while keeping the signal.',
    modality: 'seismic',
    taskType: 'denoising',
    metrics: ['snr_gain_db', 'mse'],
    template: { ...SEISMIC_DENOISING_TEMPLATE, recommendedAlgorithms: ['bandpass', 'fx_deconvolution'] },
    available: true,
  },
];

export interface PipelineTemplateDefinition {
  /** Stable identifier of the shipped template (pipelines.template_key). */
  key: string;
  name: string;
  description: string;
  /** The ML task it starts (ml_tasks.key). */
  mlTaskKey: string;
  /** Nodes + edges; the `dataset.source` has no datasetId: it reads the dataset chosen when cloning. */
  definition: JsonObject;
}

/**
 * Starting pipelines, built from the node types that exist today: reading and splitting, fitted
 * transforms, training, evaluation and batch prediction.
 */
export const PIPELINE_TEMPLATES: readonly PipelineTemplateDefinition[] = [
  {
    key: 'tabular.classification',
    name: 'Tabular classification: AutoML',
    description:
      'Splits your dataset into train and test rows, imputes and encodes with statistics of the training rows, searches learners for 60 seconds (20 trials at most), registers the best model and evaluates it on the test rows. Set the dataset\'s target column first, or "target" on the AutoML node.',
    mlTaskKey: 'tabular.classification',
    definition: learningTemplate('classification', 0.2),
  },
  {
    key: 'tabular.regression',
    name: 'Tabular regression: AutoML',
    description:
      'Holds out a quarter of the rows, imputes and encodes with statistics of the training rows, searches learners for 60 seconds (20 trials at most), registers the best model and evaluates it on the held-out rows.',
    mlTaskKey: 'tabular.regression',
    definition: learningTemplate('regression', 0.25),
  },
  {
    key: 'tabular.clustering',
    name: 'Tabular clustering: k-means',
    description:
      'Imputes and standardises with statistics of the training rows, searches k-means settings and reports inertia and silhouette on the held-out rows.',
    mlTaskKey: 'tabular.clustering',
    definition: CLUSTERING_TEMPLATE,
  },
  {
    key: 'tabular.train_register_predict',
    name: 'Tabular classification: train, register, predict',
    description:
      'Splits your dataset into train and test rows, imputes and encodes with statistics of the training rows, searches learners for 60 seconds (20 trials at most) and registers the best model, then predicts the test rows with the registered model batch by batch: the job\'s results (GET /jobs/{id}/results) hold the rows predicted and the accuracy. Set "outputDataset" on the predict node to keep the predictions as a dataset version.',
    mlTaskKey: 'tabular.batch_prediction',
    definition: predictionTemplate('classification', 0.2),
  },
  {
    key: 'text.classification',
    name: 'Text classification: TF-IDF and naive Bayes',
    description:
      'Keeps the "text" and "label" columns of a text dataset, holds out a fifth of the documents of every label, cleans the text, drops stop words, learns a TF-IDF vocabulary from the training documents, trains multinomial naive Bayes (or set "learner" to logistic_regression), registers the model and evaluates it on the held-out documents. The model predicts raw text: POST /models/{id}/predict with rows like {"text": "…"}.',
    mlTaskKey: 'text.classification',
    definition: TEXT_CLASSIFICATION_TEMPLATE,
  },
  {
    key: 'image.classification',
    name: 'Image classification: features and gradient boosting',
    description:
      'Holds out a quarter of the images of every class, turns each image into downsampled pixels, colour histograms and HOG features, trains histogram gradient boosting on the "label" column, registers the model and evaluates it on the held-out images. Predict new images with a pipeline of dataset.source (their image dataset), image.features with the same params and model.predict.',
    mlTaskKey: 'image.classification',
    definition: IMAGE_CLASSIFICATION_TEMPLATE,
  },
  {
    key: 'audio.classification',
    name: 'Audio classification: features and gradient boosting',
    description:
      'Holds out a quarter of the recordings of every class, turns each into MFCC, log-mel, zero-crossing, spectral centroid and roll-off statistics, trains histogram gradient boosting on the "label" column, registers the model and evaluates it on the held-out recordings. Predict new recordings with a pipeline of dataset.source (their audio dataset), audio.features with the same params and model.predict.',
    mlTaskKey: 'audio.classification',
    definition: AUDIO_CLASSIFICATION_TEMPLATE,
  },
  {
    key: 'timeseries.forecasting',
    name: 'Time-series forecasting: backtest and register the best forecaster',
    description:
      'Averages your series per month and fills empty months forward, then backtests seasonal naive, Holt-Winters exponential smoothing (additive, damped, multiplicative) and gradient boosting on lags from 3 rolling origins 12 months apart, registers the forecaster with the lowest MASE and forecasts the next 12 months with 95 % intervals (GET /jobs/{id}/results). Change the resample frequency to your series’ own; forecast any horizon later with POST /models/{id}/forecast.',
    mlTaskKey: 'timeseries.forecasting',
    definition: FORECASTING_TEMPLATE,
  },
  {
    key: 'seismic.denoising',
    name: 'Seismic denoising: filter chain as a registered model',
    description:
      'Reads the traces of your SEG-Y dataset chunk by chunk, band-passes them (zero-phase Butterworth, 5–80 Hz) and removes random noise with f-x deconvolution, writes the denoised SEG-Y with every header as uploaded as the next version of the dataset "denoised traces", registers the chain as the denoising model "seismic denoiser", and records the SNR gain in dB as the job’s result (GET /jobs/{id}/results; set "cleanDatasetId" to a noise-free version of the same traces for the SNR and MSE against it). To run a registered model instead, replace "chain" and "registerAs" on the denoise node with "model" (its id, "name@alias", or its name with "version").',
    mlTaskKey: 'seismic.denoising',
    definition: SEISMIC_DENOISING_TEMPLATE,
  },
];

export interface CreditPackageDefinition {
  key: string;
  name: string;
  description: string;
  credits: number;
  priceCents: number;
  tierRestriction: CreditPackageTierRestriction;
  sortOrder: number;
}

export const CREDIT_PACKAGES: readonly CreditPackageDefinition[] = [
  {
    key: 'starter',
    name: 'Starter',
    description: '10,000 credits.',
    credits: 10_000,
    priceCents: 1_000,
    tierRestriction: 'none',
    sortOrder: 1,
  },
  {
    key: 'pro',
    name: 'Pro',
    description: '120,000 credits (20% more per dollar). For Pro accounts.',
    credits: 120_000,
    priceCents: 10_000,
    tierRestriction: 'pro_only',
    sortOrder: 2,
  },
  {
    key: 'enterprise',
    name: 'Enterprise',
    description: '1,500,000 credits (50% more per dollar). For Enterprise accounts.',
    credits: 1_500_000,
    priceCents: 100_000,
    tierRestriction: 'enterprise_only',
    sortOrder: 3,
  },
];

export async function seedReferenceData(db: Database): Promise<void> {
  await seedTutorials(db);
  for (const node of NODE_TYPES) {
    const values = {
      name: node.name,
      description: node.description,
      kind: node.kind,
      modalities: textArray(node.modalities),
      input_ports: jsonb(node.inputPorts),
      output_ports: jsonb(node.outputPorts),
      parameters_schema: jsonb(node.parametersSchema),
      runtime: node.runtime,
      cost_model: jsonb(node.costModel),
      version: node.version,
    };
    await db
      .insertInto('node_types')
      .values({ key: node.key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }

  for (const task of ML_TASKS) {
    const values = {
      name: task.name,
      description: task.description,
      modality: task.modality,
      task_type: task.taskType,
      metrics: textArray(task.metrics),
      template: jsonb(task.template),
      is_active: task.available,
    };
    await db
      .insertInto('ml_tasks')
      .values({ key: task.key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }

  // Templates are pipeline rows without an owner: written in system scope so the row-level
  // security policies on pipelines admit them.
  await withSystemScope(db, 'admin.seed-pipeline-templates', async (trx) => {
    for (const template of PIPELINE_TEMPLATES) {
      const task = await trx
        .selectFrom('ml_tasks')
        .select('id')
        .where('key', '=', template.mlTaskKey)
        .executeTakeFirst();
      const values = {
        name: template.name,
        description: template.description,
        definition: jsonb(template.definition),
        ml_task_id: task?.id ?? null,
      };
      // An operator may retire a template (deleted_at); re-seeding leaves that alone.
      await trx
        .insertInto('pipelines')
        .values({ template_key: template.key, is_template: true, user_id: null, ...values })
        .onConflict((oc) => oc.column('template_key').doUpdateSet(values))
        .execute();
    }
  });

  for (const pack of CREDIT_PACKAGES) {
    const values = {
      name: pack.name,
      description: pack.description,
      credits: pack.credits,
      price_cents: pack.priceCents,
      tier_restriction: pack.tierRestriction,
      sort_order: pack.sortOrder,
    };
    await db
      .insertInto('credit_packages')
      .values({ key: pack.key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }
}
