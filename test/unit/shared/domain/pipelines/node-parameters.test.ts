import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NODE_TYPES } from '../../../../../shared/domain/pipelines/reference-data';
import { nodeRegistry } from '../../../../../shared/domain/nodes/registry';
import { nodeTypeFromDefinition, toNodeCatalog } from '../../../../../shared/domain/pipelines/node-type';
import { validatePipeline } from '../../../../../shared/domain/pipelines/validate-pipeline';

/**
 * Node parameters have one definition: the zod schema each node parses them with. The catalog
 * publishes its JSON Schema, and pipeline validation uses the zod schema itself, so params that
 * pass POST /pipelines and POST /jobs never fail at run time for being malformed (after credits
 * were reserved).
 */
const DATASET_ID = '11111111-1111-4111-8111-111111111111';
const catalog = toNodeCatalog(NODE_TYPES.map(nodeTypeFromDefinition));
const context = { catalog, dataset: { id: DATASET_ID, modality: 'tabular' as const } };

describe('the catalog and the node implementations', () => {
  it.each(nodeRegistry.keys())(
    "%s: the catalog's parameter schema is the one derived from the node's zod schema",
    (key) => {
      const entry = NODE_TYPES.find((t) => t.key === key);
      expect(entry, `${key} is in the catalog`).toBeDefined();
      const derived = z.toJSONSchema(nodeRegistry.get(key).params, {
        target: 'draft-2020-12',
        io: 'input',
        unrepresentable: 'any',
      });
      expect(entry?.parametersSchema).toEqual(JSON.parse(JSON.stringify(derived)));
    },
  );
});

/** A pipeline of a source feeding the node under test (or the source alone). */
function pipelineWith(type: string, params: unknown) {
  if (type === 'dataset.source') return { nodes: [{ id: 'n', type, params }], edges: [] };
  const inputs = NODE_TYPES.find((t) => t.key === type)?.inputPorts ?? [];
  return {
    nodes: [
      { id: 'source', type: 'dataset.source', params: {} },
      { id: 'n', type, params },
    ],
    edges: inputs.map((port) => ({
      from: { node: 'source', port: 'table' },
      to: { node: 'n', port: port.name },
    })),
  };
}

const invalid: { type: string; params: unknown; field: string }[] = [
  {
    type: 'table.filter_rows',
    params: { conditions: [{ column: 'a', operator: 'in', value: 3 }] },
    field: 'conditions[0].value',
  },
  {
    type: 'table.filter_rows',
    params: { conditions: [{ column: 'a', operator: 'not_in', value: [] }] },
    field: 'conditions[0].value',
  },
  {
    type: 'table.filter_rows',
    params: { conditions: [{ column: 'a', operator: 'contains', value: 5 }] },
    field: 'conditions[0].value',
  },
  {
    type: 'table.filter_rows',
    params: { conditions: [{ column: 'a', operator: '>' }] },
    field: 'conditions[0].value',
  },
  {
    type: 'table.filter_rows',
    params: { conditions: [{ column: 'a', operator: 'is_null', value: 1 }] },
    field: 'conditions[0].value',
  },
  { type: 'table.filter_rows', params: { conditions: [] }, field: 'conditions' },
  { type: 'table.select_columns', params: { columns: ['a', 'a'] }, field: 'columns' },
  { type: 'table.drop_columns', params: { columns: [''] }, field: 'columns[0]' },
  { type: 'table.rename_columns', params: { mapping: {} }, field: 'mapping' },
  { type: 'table.sample', params: { fraction: 0.5, rows: 10 }, field: '' },
  { type: 'table.sample', params: {}, field: '' },
  { type: 'table.split', params: { testFraction: 1 }, field: 'testFraction' },
  { type: 'table.join', params: { on: [] }, field: 'on' },
  { type: 'export.csv', params: { delimiter: ';;' }, field: 'delimiter' },
  { type: 'export.parquet', params: { fileName: '../data.parquet' }, field: 'fileName' },
  { type: 'dataset.source', params: { datasetId: 'not-a-uuid' }, field: 'datasetId' },
];

describe('invalid parameters are refused when the pipeline is validated', () => {
  it.each(invalid)('$type $params', ({ type, params, field }) => {
    // The node itself would refuse them at run time…
    expect(nodeRegistry.get(type).params.safeParse(params).success).toBe(false);
    // …so validation refuses them first, naming the field.
    const result = validatePipeline(pipelineWith(type, params), context);
    expect(result.valid).toBe(false);
    const fields = result.issues.filter((i) => i.code === 'PIPELINE.INVALID_PARAMETER').map((i) => i.field);
    expect(fields).toContain(`nodes[n].params${field ? (field.startsWith('[') ? field : `.${field}`) : ''}`);
  });

  it('valid parameters come back as the node parses them, defaults filled in', () => {
    const result = validatePipeline(
      pipelineWith('table.filter_rows', { conditions: [{ column: 'a', operator: 'in', value: [1, 2] }] }),
      context,
    );
    expect(result.issues).toEqual([]);
    expect(result.valid && result.definition.nodes[1]?.params).toEqual({
      conditions: [{ column: 'a', operator: 'in', value: [1, 2] }],
      combine: 'and',
    });
  });
});
