import type { PipelineDefinition, PipelineNode } from './pipeline-definition';
import { DATASET_SOURCE_NODE_TYPE, type PipelineIssue } from './validate-pipeline';

/**
 * Checks the columns nodes name against the data, purely: the pipeline dataset's columns (its
 * current version's schema) flow from its source nodes through the nodes whose effect on columns
 * is known (select, rename, drop, filter, split, sample), and every column a node names (select,
 * rename, drop, filter conditions, split `stratifyColumn`, a training node's `target`) must exist
 * in what reaches it: `node X: column "agee" does not exist — did you mean "age"?`. Past a node
 * whose output columns are not known here (a join, a learner, a feature step), nothing is checked.
 */
export interface ColumnContext {
  /** The pipeline's dataset id (sources without a datasetId read it) and its columns. */
  datasetId: string;
  columns: readonly string[];
}

type Columns = readonly string[] | undefined;

const PASS_THROUGH = new Set(['table.filter_rows', 'table.split', 'table.sample']);
const TRAINING = new Set(['model.train', 'model.automl']);

export function checkColumnReferences(
  definition: Pick<PipelineDefinition, 'nodes' | 'edges'>,
  context: ColumnContext,
): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  const byId = new Map(definition.nodes.map((node) => [node.id, node]));
  const upstream = new Map<string, string[]>();
  for (const edge of definition.edges) {
    upstream.set(edge.to.node, [...(upstream.get(edge.to.node) ?? []), edge.from.node]);
  }
  const output = new Map<string, Columns>();
  const visiting = new Set<string>();

  const outputOf = (id: string): Columns => {
    if (output.has(id)) return output.get(id);
    const node = byId.get(id);
    // A cycle or an unknown node is reported by the structural checks.
    if (!node || visiting.has(id)) return undefined;
    visiting.add(id);
    const result = columnsAfter(node, inputOf(id), context, issues);
    visiting.delete(id);
    output.set(id, result);
    return result;
  };
  const inputOf = (id: string): Columns => {
    const sources = [...new Set(upstream.get(id) ?? [])];
    if (sources.length !== 1) return undefined;
    return outputOf(sources[0] ?? '');
  };
  for (const node of definition.nodes) outputOf(node.id);
  return issues;
}

function columnsAfter(
  node: PipelineNode,
  input: Columns,
  context: ColumnContext,
  issues: PipelineIssue[],
): Columns {
  const params = node.params;
  if (node.type === DATASET_SOURCE_NODE_TYPE) {
    const id = typeof params['datasetId'] === 'string' ? params['datasetId'].toLowerCase() : undefined;
    return id === undefined || id === context.datasetId.toLowerCase() ? context.columns : undefined;
  }
  if (!input) return undefined;
  const check = (names: unknown, field: string) => {
    for (const name of stringsOf(names)) {
      if (!input.includes(name)) issues.push(unknownColumn(node.id, field, name, input));
    }
  };
  switch (node.type) {
    case 'table.select_columns':
      check(params['columns'], 'columns');
      return stringsOf(params['columns']).filter((c) => input.includes(c));
    case 'table.drop_columns': {
      check(params['columns'], 'columns');
      const dropped = new Set(stringsOf(params['columns']));
      return input.filter((c) => !dropped.has(c));
    }
    case 'table.rename_columns': {
      const mapping = isRecord(params['mapping']) ? params['mapping'] : {};
      check(Object.keys(mapping), 'mapping');
      return input.map((c) => {
        const renamed = mapping[c];
        return typeof renamed === 'string' ? renamed : c;
      });
    }
    case 'table.filter_rows': {
      const conditions = Array.isArray(params['conditions']) ? params['conditions'] : [];
      conditions.forEach((condition: unknown, index) => {
        if (isRecord(condition) && typeof condition['column'] === 'string')
          check([condition['column']], `conditions[${index}].column`);
      });
      return input;
    }
    case 'table.split':
      check(params['stratifyColumn'], 'stratifyColumn');
      return input;
    default:
      if (TRAINING.has(node.type)) {
        check(params['target'], 'target');
        return undefined;
      }
      return PASS_THROUGH.has(node.type) ? input : undefined;
  }
}

function unknownColumn(
  nodeId: string,
  field: string,
  name: string,
  columns: readonly string[],
): PipelineIssue {
  const suggestion = closestColumn(name, columns);
  return {
    field: `nodes[${nodeId}].params.${field}`,
    code: 'PIPELINE.UNKNOWN_COLUMN',
    message: `node ${nodeId}: column "${name}" does not exist${suggestion ? ` — did you mean "${suggestion}"?` : `; the columns are ${listed(columns)}.`}`,
    nodeId,
  };
}

/** The column a typo most likely meant: same letters ignoring case, else the nearest by edit distance. */
export function closestColumn(name: string, columns: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = columns.find((c) => c.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const column of columns) {
    const distance = editDistance(lower, column.toLowerCase());
    if (distance < bestDistance) {
      best = column;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listed(columns: readonly string[]): string {
  const shown = columns
    .slice(0, 10)
    .map((c) => `"${c}"`)
    .join(', ');
  return columns.length > 10 ? `${shown}, … (${columns.length} in all)` : shown;
}
