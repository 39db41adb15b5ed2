import { nodeParametersSchema } from '../nodes/node-parameters-schema';
import type { Database } from '../../db/database';
import { withSystemScope } from '../../db/tenant';
import { jsonb, textArray } from '../../db/schema';
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
  /** `table`: a Parquet table; `file`: an exported file. */
  type: 'table' | 'file';
  required?: boolean;
}

export interface NodeCostModel extends JsonObject {
  /** Credits charged for running the node at all. */
  baseCredits: number;
  /** Credits per million input rows (pro rata). */
  perMillionRowsCredits: number;
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 1 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 1 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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
    costModel: { baseCredits: 2, perMillionRowsCredits: 4 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 1 },
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
    costModel: { baseCredits: 1, perMillionRowsCredits: 2 },
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

export const ML_TASKS: readonly MlTaskDefinition[] = [
  {
    key: 'tabular.classification',
    name: 'Tabular classification',
    description: 'Predict a category from the other columns of a table.',
    modality: 'tabular',
    taskType: 'classification',
    metrics: ['accuracy', 'f1_macro', 'roc_auc'],
    template: splitTemplate(['logistic_regression', 'random_forest', 'gradient_boosting']),
  },
  {
    key: 'tabular.regression',
    name: 'Tabular regression',
    description: 'Predict a number from the other columns of a table.',
    modality: 'tabular',
    taskType: 'regression',
    metrics: ['rmse', 'mae', 'r2'],
    template: splitTemplate(['linear_regression', 'random_forest', 'gradient_boosting']),
  },
  {
    key: 'tabular.clustering',
    name: 'Tabular clustering',
    description: 'Group similar rows without labels.',
    modality: 'tabular',
    taskType: 'clustering',
    metrics: ['silhouette', 'davies_bouldin'],
    template: {
      nodes: [{ id: 'source', type: 'dataset.source', params: {} }],
      edges: [],
      recommendedAlgorithms: ['kmeans', 'pca_kmeans'],
    },
  },
  {
    key: 'text.classification',
    name: 'Text classification',
    description: 'Assign a label to each text (sentiment, topic, intent).',
    modality: 'text',
    taskType: 'classification',
    metrics: ['accuracy', 'f1_macro'],
    template: splitTemplate(['tfidf_logistic_regression', 'naive_bayes']),
  },
  {
    key: 'text.ner',
    name: 'Named entity recognition',
    description: 'Find and label entities (people, places, organisations) in text.',
    modality: 'text',
    taskType: 'ner',
    metrics: ['entity_f1', 'precision', 'recall'],
    template: splitTemplate(['crf']),
  },
  {
    key: 'image.classification',
    name: 'Image classification',
    description: 'Assign a label to each image.',
    modality: 'image',
    taskType: 'classification',
    metrics: ['accuracy', 'top5_accuracy'],
    template: splitTemplate(['cnn_transfer_learning']),
  },
  {
    key: 'image.object_detection',
    name: 'Object detection',
    description: 'Locate and label objects in images with bounding boxes.',
    modality: 'image',
    taskType: 'object_detection',
    metrics: ['map_50', 'map_50_95'],
    template: splitTemplate(['single_stage_detector']),
  },
  {
    key: 'timeseries.forecasting',
    name: 'Time-series forecasting',
    description: 'Predict the next values of a series from its history.',
    modality: 'timeseries',
    taskType: 'forecasting',
    metrics: ['mape', 'smape', 'rmse'],
    template: splitTemplate(['seasonal_naive', 'exponential_smoothing', 'gradient_boosting_lags'], {
      shuffle: false,
    }),
  },
  {
    key: 'seismic.denoising',
    name: 'Seismic denoising',
    description: 'Remove noise from seismic traces while keeping the signal.',
    modality: 'seismic',
    taskType: 'denoising',
    metrics: ['snr_gain_db', 'mse'],
    template: splitTemplate(['bandpass_filter', 'fx_deconvolution']),
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

const tableEdge = (from: string, fromPort: string, to: string) => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: 'table' },
});

/**
 * Starting pipelines, built from the node types that exist today (reading, splitting, sampling,
 * exporting). Learning and evaluation nodes join them when the catalog has them.
 */
export const PIPELINE_TEMPLATES: readonly PipelineTemplateDefinition[] = [
  {
    key: 'tabular.classification',
    name: 'Tabular classification: train/test split',
    description:
      'Reads your dataset, splits it into train and test tables (stratify by the label column for balanced classes) and writes both as Parquet.',
    mlTaskKey: 'tabular.classification',
    definition: {
      nodes: [
        { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
        {
          id: 'split',
          type: 'table.split',
          label: 'Train/test split',
          params: { testFraction: 0.2, seed: 42 },
        },
        { id: 'train', type: 'export.parquet', label: 'Train table', params: { fileName: 'train.parquet' } },
        { id: 'test', type: 'export.parquet', label: 'Test table', params: { fileName: 'test.parquet' } },
      ],
      edges: [
        tableEdge('source', 'table', 'split'),
        tableEdge('split', 'train', 'train'),
        tableEdge('split', 'test', 'test'),
      ],
    },
  },
  {
    key: 'tabular.regression',
    name: 'Tabular regression: train/test split',
    description:
      'Reads your dataset, holds out a quarter of the rows for testing and writes the train table as Parquet and the test table as CSV for inspection.',
    mlTaskKey: 'tabular.regression',
    definition: {
      nodes: [
        { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
        {
          id: 'split',
          type: 'table.split',
          label: 'Train/test split',
          params: { testFraction: 0.25, seed: 42 },
        },
        { id: 'train', type: 'export.parquet', label: 'Train table', params: { fileName: 'train.parquet' } },
        { id: 'test', type: 'export.csv', label: 'Test table', params: { fileName: 'test.csv' } },
      ],
      edges: [
        tableEdge('source', 'table', 'split'),
        tableEdge('split', 'train', 'train'),
        tableEdge('split', 'test', 'test'),
      ],
    },
  },
  {
    key: 'tabular.clustering',
    name: 'Tabular clustering: sample',
    description:
      'Reads your dataset, takes a reproducible sample of up to 100,000 rows and writes it as Parquet.',
    mlTaskKey: 'tabular.clustering',
    definition: {
      nodes: [
        { id: 'source', type: 'dataset.source', label: 'Dataset', params: {} },
        { id: 'sample', type: 'table.sample', label: 'Sample', params: { rows: 100_000, seed: 42 } },
        {
          id: 'features',
          type: 'export.parquet',
          label: 'Features',
          params: { fileName: 'features.parquet' },
        },
      ],
      edges: [tableEdge('source', 'table', 'sample'), tableEdge('sample', 'table', 'features')],
    },
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
    description: '100 credits.',
    credits: 100,
    priceCents: 1_000,
    tierRestriction: 'none',
    sortOrder: 1,
  },
  {
    key: 'pro',
    name: 'Pro',
    description: '1,200 credits (20% more per dollar). For Pro accounts.',
    credits: 1_200,
    priceCents: 10_000,
    tierRestriction: 'pro_only',
    sortOrder: 2,
  },
  {
    key: 'enterprise',
    name: 'Enterprise',
    description: '15,000 credits (50% more per dollar). For Enterprise accounts.',
    credits: 15_000,
    priceCents: 100_000,
    tierRestriction: 'enterprise_only',
    sortOrder: 3,
  },
];

export async function seedReferenceData(db: Database): Promise<void> {
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
