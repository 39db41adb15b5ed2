import { describe, expect, it } from 'vitest';
import { createNodeRegistry, nodeRegistry } from '../../../../../shared/domain/nodes/registry';
import {
  ML_TASKS,
  NODE_TYPES,
  PIPELINE_TEMPLATES,
} from '../../../../../shared/domain/pipelines/reference-data';
import type { Modality } from '../../../../../shared/db/schema';
import {
  nodeTypeFromDefinition,
  toNodeCatalog,
  type NodeType,
} from '../../../../../shared/domain/pipelines/node-type';
import {
  sourceDatasetIds,
  validatePipeline,
  type PipelineIssueCode,
  type PipelineValidationContext,
} from '../../../../../shared/domain/pipelines/validate-pipeline';

const TABULAR_ID = '11111111-1111-4111-8111-111111111111';
const IMAGES_ID = '22222222-2222-4222-8222-222222222222';
const SERIES_ID = '44444444-4444-4444-8444-444444444444';
const TEXTS_ID = '66666666-6666-4666-8666-666666666666';
const AUDIO_ID = '77777777-7777-4777-8777-777777777777';
const SEISMIC_ID = '5e15e15e-0000-4000-8000-000000000005';
const OTHER_ID = '33333333-3333-4333-8333-333333333333';

const selectColumns = NODE_TYPES.find((t) => t.key === 'table.select_columns');
if (!selectColumns) throw new Error('the catalog has no table.select_columns');
const retired: NodeType = {
  ...nodeTypeFromDefinition(selectColumns),
  key: 'table.legacy_clean',
  modalities: ['tabular'],
  isActive: false,
  parametersSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { width: { type: 'integer', minimum: 1, default: 224 } },
  },
};

const catalog = toNodeCatalog([...NODE_TYPES.map(nodeTypeFromDefinition), retired]);
/** The product's nodes, image nodes included, so image pipelines are validated too. */
const registry = createNodeRegistry(nodeRegistry.keys().map((key) => nodeRegistry.get(key)));
const datasets = new Map<string, { modality: Modality }>([
  [TABULAR_ID, { modality: 'tabular' }],
  [IMAGES_ID, { modality: 'image' }],
  [SERIES_ID, { modality: 'timeseries' }],
  [TEXTS_ID, { modality: 'text' }],
  [AUDIO_ID, { modality: 'audio' }],
  [SEISMIC_ID, { modality: 'seismic' }],
]);
const context: PipelineValidationContext = {
  catalog,
  registry,
  datasets,
  dataset: { id: TABULAR_ID, modality: 'tabular' },
};

/** Templates and tasks are validated on a dataset of their own modality. */
const contextFor = (key: string): PipelineValidationContext =>
  key.startsWith('image.')
    ? { ...context, dataset: { id: IMAGES_ID, modality: 'image' } }
    : key.startsWith('timeseries.')
      ? { ...context, dataset: { id: SERIES_ID, modality: 'timeseries' } }
      : key.startsWith('text.')
        ? { ...context, dataset: { id: TEXTS_ID, modality: 'text' } }
        : key.startsWith('audio.')
          ? { ...context, dataset: { id: AUDIO_ID, modality: 'audio' } }
          : key.startsWith('seismic.')
            ? { ...context, dataset: { id: SEISMIC_ID, modality: 'seismic' } }
            : context;

const edge = (from: string, to: string) => {
  const [fromNode = '', fromPort = ''] = from.split('.');
  const [toNode = '', toPort = ''] = to.split('.');
  return { from: { node: fromNode, port: fromPort }, to: { node: toNode, port: toPort } };
};

/** dataset → split → export(train) + export(test) */
function basePipeline() {
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', params: { datasetId: TABULAR_ID } },
      { id: 'split-1', type: 'table.split', params: { testFraction: 0.25 } },
      { id: 'train-out', type: 'export.parquet', params: { fileName: 'train.parquet' } },
      { id: 'test-out', type: 'export.csv', params: {} },
    ],
    edges: [
      edge('source.table', 'split-1.table'),
      edge('split-1.train', 'train-out.table'),
      edge('split-1.test', 'test-out.table'),
    ],
  };
}

type Mutate = (definition: ReturnType<typeof basePipeline>) => unknown;

interface InvalidCase {
  name: string;
  definition: Mutate;
  context?: PipelineValidationContext;
  issues: { field: string; code: PipelineIssueCode; message?: RegExp; nodeId?: string }[];
}

const invalidCases: InvalidCase[] = [
  {
    name: 'an empty pipeline',
    definition: () => ({ nodes: [], edges: [] }),
    issues: [{ field: 'nodes', code: 'PIPELINE.EMPTY' }],
  },
  {
    name: 'a node id that cannot be part of an object key',
    definition: (d) => ({ ...d, nodes: [...d.nodes, { id: '../etc', type: 'table.sample', params: {} }] }),
    issues: [{ field: 'nodes[4].id', code: 'PIPELINE.INVALID_STRUCTURE', message: /letters, digits/ }],
  },
  {
    name: 'an unknown field on a node, named by the node id',
    definition: (d) => ({ ...d, nodes: d.nodes.map((n, i) => (i === 1 ? { ...n, colour: 'red' } : n)) }),
    issues: [{ field: 'nodes[split-1].colour', code: 'PIPELINE.INVALID_STRUCTURE', nodeId: 'split-1' }],
  },
  {
    name: 'an edge without a port',
    definition: (d) => ({
      ...d,
      edges: [...d.edges, { from: { node: 'source' }, to: { node: 'x', port: 'table' } }],
    }),
    issues: [{ field: 'edges[3].from.port', code: 'PIPELINE.INVALID_STRUCTURE' }],
  },
  {
    name: 'two nodes with one id',
    definition: (d) => ({
      ...d,
      nodes: [...d.nodes, { id: 'split-1', type: 'table.sample', params: { rows: 5 } }],
    }),
    issues: [{ field: 'nodes[4].id', code: 'PIPELINE.DUPLICATE_NODE', nodeId: 'split-1' }],
  },
  {
    name: 'a node type the catalog does not have',
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) => (n.id === 'split-1' ? { ...n, type: 'table.splat' } : n)),
    }),
    issues: [{ field: 'nodes[split-1].type', code: 'PIPELINE.UNKNOWN_NODE_TYPE', message: /table\.splat/ }],
  },
  {
    name: 'a retired node type',
    definition: (d) => ({
      nodes: [...d.nodes, { id: 'clean', type: 'table.legacy_clean', params: {} }],
      edges: [...d.edges, edge('split-1.train', 'clean.table')],
    }),
    issues: [{ field: 'nodes[clean].type', code: 'PIPELINE.INACTIVE_NODE_TYPE' }],
  },
  {
    name: 'an edge to a node that does not exist',
    definition: (d) => ({ ...d, edges: [...d.edges, edge('split-1.test', 'ghost.table')] }),
    issues: [{ field: 'edges[3].to.node', code: 'PIPELINE.UNKNOWN_NODE', message: /ghost/ }],
  },
  {
    name: 'an output port the node does not have',
    definition: (d) => ({
      ...d,
      edges: d.edges.map((e, i) => (i === 1 ? edge('split-1.validation', 'train-out.table') : e)),
    }),
    // The input is wired (to a wrong port), so only the port is reported.
    issues: [
      {
        field: 'edges[1].from.port',
        code: 'PIPELINE.UNKNOWN_PORT',
        message: /train, test/,
        nodeId: 'split-1',
      },
    ],
  },
  {
    name: 'an input port the node does not have',
    definition: (d) => ({
      ...d,
      edges: d.edges.map((e, i) => (i === 0 ? edge('source.table', 'split-1.input') : e)),
    }),
    issues: [
      { field: 'edges[0].to.port', code: 'PIPELINE.UNKNOWN_PORT', nodeId: 'split-1' },
      { field: 'nodes[split-1].inputs.table', code: 'PIPELINE.INPUT_MISSING' },
    ],
  },
  {
    name: 'a file output wired into a table input',
    definition: (d) => ({
      nodes: [...d.nodes, { id: 'pick', type: 'table.select_columns', params: { columns: ['a'] } }],
      edges: [...d.edges, edge('train-out.file', 'pick.table')],
    }),
    issues: [
      { field: 'edges[3]', code: 'PIPELINE.PORT_TYPE_MISMATCH', message: /file.*table/, nodeId: 'pick' },
    ],
  },
  {
    name: 'a required input left unconnected',
    definition: (d) => ({ ...d, edges: d.edges.filter((_, i) => i !== 0) }),
    issues: [{ field: 'nodes[split-1].inputs.table', code: 'PIPELINE.INPUT_MISSING', nodeId: 'split-1' }],
  },
  {
    name: 'an input fed twice',
    definition: (d) => ({ ...d, edges: [...d.edges, edge('split-1.test', 'train-out.table')] }),
    issues: [
      {
        field: 'nodes[train-out].inputs.table',
        code: 'PIPELINE.INPUT_CONNECTED_TWICE',
        message: /split-1\.train, split-1\.test/,
      },
    ],
  },
  {
    name: 'a cycle',
    definition: () => ({
      nodes: [
        { id: 'a', type: 'table.sample', params: { rows: 10 } },
        { id: 'b', type: 'table.sample', params: { rows: 10 } },
      ],
      edges: [edge('a.table', 'b.table'), edge('b.table', 'a.table')],
    }),
    issues: [{ field: 'edges', code: 'PIPELINE.CYCLE', message: /a → b → a/, nodeId: 'a' }],
  },
  {
    name: 'a parameter out of range',
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) => (n.id === 'split-1' ? { ...n, params: { testFraction: 1.5 } } : n)),
    }),
    issues: [
      {
        field: 'nodes[split-1].params.testFraction',
        code: 'PIPELINE.INVALID_PARAMETER',
        message: /testFraction" must be less than 1/,
        nodeId: 'split-1',
      },
    ],
  },
  {
    name: 'a parameter the node does not take',
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) => (n.id === 'split-1' ? { ...n, params: { ratio: 0.3 } } : n)),
    }),
    issues: [
      { field: 'nodes[split-1].params.ratio', code: 'PIPELINE.INVALID_PARAMETER', message: /testFraction/ },
    ],
  },
  {
    name: 'a required parameter missing, and a nested one wrong',
    definition: (d) => ({
      nodes: [
        ...d.nodes,
        { id: 'keep', type: 'table.select_columns', params: {} },
        {
          id: 'where',
          type: 'table.filter_rows',
          params: { conditions: [{ column: 'age', operator: '≈' }] },
        },
      ],
      edges: [...d.edges, edge('split-1.train', 'keep.table'), edge('keep.table', 'where.table')],
    }),
    issues: [
      { field: 'nodes[keep].params.columns', code: 'PIPELINE.INVALID_PARAMETER', message: /is required/ },
      {
        field: 'nodes[where].params.conditions[0].operator',
        code: 'PIPELINE.INVALID_PARAMETER',
        message: /one of/,
      },
    ],
  },
  {
    name: 'a sample with neither a fraction nor a row count',
    definition: (d) => ({
      nodes: [...d.nodes, { id: 'few', type: 'table.sample', params: { seed: 7 } }],
      edges: [...d.edges, edge('split-1.train', 'few.table')],
    }),
    issues: [
      {
        field: 'nodes[few].params',
        code: 'PIPELINE.INVALID_PARAMETER',
        message: /exactly one of: fraction, rows/,
      },
    ],
  },
  {
    name: 'a dataset version that is neither a number nor "current"',
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) =>
        n.id === 'source' ? { ...n, params: { datasetId: TABULAR_ID, version: 0 } } : n,
      ),
    }),
    issues: [
      {
        field: 'nodes[source].params.version',
        code: 'PIPELINE.INVALID_PARAMETER',
        message: /"version" must be at least 1/,
      },
    ],
  },
  {
    name: 'a dataset version that is some other word',
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) =>
        n.id === 'source' ? { ...n, params: { datasetId: TABULAR_ID, version: 'latest' } } : n,
      ),
    }),
    issues: [
      {
        field: 'nodes[source].params.version',
        code: 'PIPELINE.INVALID_PARAMETER',
        message: /integer ≥ 1 or "current"/,
      },
    ],
  },
  {
    name: "a source reading someone else's dataset",
    definition: (d) => ({
      ...d,
      nodes: d.nodes.map((n) => (n.id === 'source' ? { ...n, params: { datasetId: OTHER_ID } } : n)),
    }),
    issues: [{ field: 'nodes[source].params.datasetId', code: 'PIPELINE.UNKNOWN_DATASET', nodeId: 'source' }],
  },
  {
    name: 'a source without a dataset when the pipeline has none',
    definition: (d) => ({ ...d, nodes: d.nodes.map((n) => (n.id === 'source' ? { ...n, params: {} } : n)) }),
    context: { catalog, registry, datasets },
    issues: [
      { field: 'nodes[source].params.datasetId', code: 'PIPELINE.INVALID_PARAMETER', message: /is required/ },
    ],
  },
  {
    name: 'a node that does not work on the dataset modality',
    definition: (d) => ({
      nodes: [...d.nodes, { id: 'resize', type: 'image.resize', params: {} }],
      edges: [...d.edges, edge('split-1.train', 'resize.table')],
    }),
    issues: [
      {
        field: 'nodes[resize].type',
        code: 'PIPELINE.MODALITY_MISMATCH',
        message: /tabular/,
        nodeId: 'resize',
      },
    ],
  },
];

describe('validatePipeline', () => {
  it.each(invalidCases)('reports $name', ({ definition, context: caseContext, issues }) => {
    const result = validatePipeline(definition(basePipeline()), caseContext ?? context);

    expect(result.valid).toBe(false);
    expect(result.issues).toHaveLength(issues.length);
    for (const expected of issues) {
      const found = result.issues.find(
        (issue) => issue.field === expected.field && issue.code === expected.code,
      );
      expect(
        found,
        `${expected.code} at ${expected.field} in ${JSON.stringify(result.issues)}`,
      ).toBeDefined();
      if (expected.message) expect(found?.message).toMatch(expected.message);
      if (expected.nodeId) expect(found?.nodeId).toBe(expected.nodeId);
    }
  });

  it('accepts a valid pipeline and fills in parameter defaults', () => {
    const result = validatePipeline(basePipeline(), context);

    expect(result.issues).toEqual([]);
    if (!result.valid) throw new Error('expected a valid pipeline');
    expect(result.stages).toEqual([['source'], ['split-1'], ['test-out', 'train-out']]);
    const params = Object.fromEntries(result.definition.nodes.map((n) => [n.id, n.params]));
    expect(params).toEqual({
      source: { datasetId: TABULAR_ID, version: 'current' },
      'split-1': { testFraction: 0.25, seed: 42, shuffle: true },
      'train-out': { fileName: 'train.parquet', compression: 'zstd' },
      'test-out': { fileName: 'data.csv', delimiter: ',', header: true },
    });
    expect(Object.keys(result.nodeTypes).sort()).toEqual([
      'dataset.source',
      'export.csv',
      'export.parquet',
      'table.split',
    ]);
  });

  it('lets a source without a datasetId read the pipeline dataset', () => {
    const definition = basePipeline();
    definition.nodes[0] = { id: 'source', type: 'dataset.source', params: {} as { datasetId: string } };

    const result = validatePipeline(definition, context);

    if (!result.valid) throw new Error(JSON.stringify(result.issues));
    expect(result.definition.nodes[0]?.params).toEqual({ datasetId: TABULAR_ID, version: 'current' });
  });

  it('takes seismic.source as a dataset source: the pipeline dataset filled in, ownership and modality checked on it', () => {
    const seismic = (params: Record<string, unknown>) => ({
      nodes: [
        { id: 'source', type: 'seismic.source', params },
        { id: 'denoise', type: 'seismic.denoise', params: { chain: [{ type: 'median_filter' }] } },
      ],
      edges: [edge('source.traces', 'denoise.traces')],
    });
    const onSeismic = { ...context, dataset: { id: SEISMIC_ID, modality: 'seismic' as const } };

    const own = validatePipeline(seismic({}), onSeismic);
    if (!own.valid) throw new Error(JSON.stringify(own.issues));
    expect(own.definition.nodes[0]?.params).toEqual({ datasetId: SEISMIC_ID, version: 'current' });

    // Another tenant's (or a deleted) dataset is unknown, as for dataset.source.
    expect(validatePipeline(seismic({ datasetId: OTHER_ID }), onSeismic).issues).toEqual([
      expect.objectContaining({ field: 'nodes[source].params.datasetId', code: 'PIPELINE.UNKNOWN_DATASET' }),
    ]);
    // A table read as traces: the dataset is named as what to change.
    const tabular = validatePipeline(seismic({ datasetId: TABULAR_ID }), { catalog, registry, datasets });
    expect(tabular.issues.map((i) => [i.field, i.code, i.message])).toEqual([
      [
        'nodes[source].params.datasetId',
        'PIPELINE.MODALITY_MISMATCH',
        `Node "source" (seismic.source) reads seismic datasets; dataset ${TABULAR_ID} is tabular. Choose a seismic dataset.`,
      ],
      ['nodes[denoise].type', 'PIPELINE.MODALITY_MISMATCH', expect.stringMatching(/tabular/)],
    ]);
    // Without a pipeline dataset, a seismic source must name one.
    expect(validatePipeline(seismic({}), { catalog, registry, datasets }).issues).toEqual([
      expect.objectContaining({
        field: 'nodes[source].params.datasetId',
        code: 'PIPELINE.INVALID_PARAMETER',
      }),
    ]);
  });

  it('lists the datasets every kind of source names, once each, skipping what is not an id', () => {
    const definition = {
      nodes: [
        { id: 'a', type: 'dataset.source', params: { datasetId: TABULAR_ID.toUpperCase() } },
        { id: 'b', type: 'seismic.source', params: { datasetId: SEISMIC_ID } },
        { id: 'c', type: 'seismic.source', params: { datasetId: SEISMIC_ID } },
        { id: 'd', type: 'dataset.source', params: { datasetId: 'not-an-id' } },
        { id: 'e', type: 'table.sample', params: { datasetId: OTHER_ID } },
        { id: 'f', type: 'seismic.source', params: {} },
      ],
    };
    expect(sourceDatasetIds(definition)).toEqual([TABULAR_ID, SEISMIC_ID]);
    expect(sourceDatasetIds('nodes')).toEqual([]);
  });

  it('joins two datasets and checks each modality downstream of its own source', () => {
    const joined = {
      nodes: [
        { id: 'left', type: 'dataset.source', params: { datasetId: TABULAR_ID } },
        { id: 'right', type: 'dataset.source', params: { datasetId: IMAGES_ID } },
        { id: 'join', type: 'table.join', params: { on: ['id'] } },
        { id: 'resize', type: 'image.resize', params: {} },
      ],
      edges: [
        edge('left.table', 'join.left'),
        edge('right.table', 'join.right'),
        edge('right.table', 'resize.table'),
      ],
    };

    const result = validatePipeline(joined, { catalog, registry, datasets });

    // resize only sees the image dataset: fine. The join sees both, and supports both.
    expect(result.issues).toEqual([]);
    const viaJoin = validatePipeline(
      { ...joined, edges: [...joined.edges.slice(0, 2), edge('join.table', 'resize.table')] },
      { catalog, registry, datasets },
    );
    expect(viaJoin.issues.map((i) => [i.field, i.code])).toEqual([
      ['nodes[resize].type', 'PIPELINE.MODALITY_MISMATCH'],
    ]);
  });

  it('reports every problem at once, not only the first', () => {
    const broken = basePipeline();
    broken.nodes[1] = { id: 'split-1', type: 'table.split', params: { testFraction: 2, seed: -1 } as never };
    broken.nodes.push({ id: 'nowhere', type: 'table.nothing', params: {} as never });
    broken.edges.push(edge('split-1.test', 'train-out.table'), edge('nowhere.table', 'ghost.table'));

    const result = validatePipeline(broken, context);

    expect(result.issues.map((i) => i.field).sort()).toEqual(
      [
        'nodes[split-1].params.testFraction',
        'nodes[split-1].params.seed',
        'nodes[nowhere].type',
        'edges[4].to.node',
        'nodes[train-out].inputs.table',
      ].sort(),
    );
  });

  it('does not modify the definition it is given', () => {
    const definition = basePipeline();
    const before = JSON.stringify(definition);

    validatePipeline(definition, context);

    expect(JSON.stringify(definition)).toBe(before);
  });

  it('reports a definition that is not an object as one structural issue', () => {
    const result = validatePipeline('nodes: []', context);

    expect(result.issues).toEqual([
      expect.objectContaining({ field: 'definition', code: 'PIPELINE.INVALID_STRUCTURE' }),
    ]);
  });

  it.each(PIPELINE_TEMPLATES.map((t) => [t.key, t.definition] as const))(
    'the %s template is valid once it has a dataset, and asks for one until then',
    (key, definition) => {
      expect(validatePipeline(definition, contextFor(key)).issues).toEqual([]);
      expect(validatePipeline(definition, { catalog }).issues.map((i) => i.field)).toEqual([
        'nodes[source].params.datasetId',
      ]);
    },
  );

  it.each(ML_TASKS.map((t) => [t.key, t.template] as const))(
    'the %s task suggests a valid pipeline',
    (key, template) => {
      const { nodes, edges } = template as { nodes: unknown; edges: unknown };
      expect(validatePipeline({ nodes, edges }, contextFor(key)).issues).toEqual([]);
    },
  );
});
