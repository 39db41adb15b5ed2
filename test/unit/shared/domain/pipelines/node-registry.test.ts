import { describe, expect, it } from 'vitest';
import { NODE_TYPES } from '../../../../../shared/domain/pipelines/reference-data';
import { nodeRegistry } from '../../../../../shared/domain/nodes/registry';

/** The catalog users build pipelines from and the implementations hosts run must agree. */
describe('node registry', () => {
  it('implements every node type of the catalog, and nothing the catalog does not offer', () => {
    expect(nodeRegistry.keys()).toEqual(NODE_TYPES.map((t) => t.key).sort());
  });

  it("applies the catalog's parameter defaults", () => {
    const minimal: Record<string, unknown> = {
      'table.select_columns': { columns: ['a'] },
      'table.rename_columns': { mapping: { a: 'b' } },
      'table.drop_columns': { columns: ['a'] },
      'table.filter_rows': { conditions: [{ column: 'a', operator: 'is_null' }] },
      'table.sample': { rows: 1 },
      'table.join': { on: ['a'] },
      'transform.cast': { columns: ['a'], to: 'number' },
      'transform.derived_column': { name: 'b', expression: 'a + 1' },
      'transform.tfidf': { column: 'a' },
      'model.train': { learner: 'decision_tree' },
      'ts.resample': { frequency: 'month' },
      'seismic.bandpass': { lowHz: 5 },
      'seismic.denoise': { chain: [{ type: 'agc' }] },
      'monitoring.dinsight': { analysisId: '00000000-0000-4000-8000-000000000001' },
      'monitoring.dinsight_monitor': { analysisId: '00000000-0000-4000-8000-000000000001' },
    };
    for (const type of NODE_TYPES) {
      const parsed = nodeRegistry.get(type.key).params.parse(minimal[type.key] ?? {}) as Record<
        string,
        unknown
      >;
      const properties = (type.parametersSchema['properties'] ?? {}) as Record<string, { default?: unknown }>;
      for (const [name, schema] of Object.entries(properties)) {
        if (schema.default !== undefined) expect(parsed[name], `${type.key}.${name}`).toEqual(schema.default);
      }
    }
  });

  it('refuses params the catalog does not declare', () => {
    expect(() =>
      nodeRegistry.get('table.select_columns').params.parse({ columns: ['a'], sql: 'drop table x' }),
    ).toThrow();
    expect(() => nodeRegistry.get('nope.nothing')).toThrow(/no implementation/);
  });
});
