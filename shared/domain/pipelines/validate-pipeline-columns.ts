import type { PipelineDefinition, PipelineNode } from './pipeline-definition';
import { DATASET_SOURCE_NODE_TYPE, type PipelineIssue } from './validate-pipeline';

/**
 * Checks the columns nodes name against the data, purely: the pipeline dataset's columns (its
 * current version's schema) flow from its source nodes through the nodes whose effect on columns
 * is known (select, rename, drop, filter, split, sample, join, predict), and every column a node
 * names (select, rename, drop, filter conditions, split `stratifyColumn`, join keys, a training,
 * evaluation or prediction node's `target`) must exist in what reaches it:
 * `node X: column "agee" does not exist — did you mean "age"?`. A join's table is its keys, the
 * left columns, then the right ones (suffixed when the left has the name); a prediction adds its
 * prediction column and, for classifiers, a column per class under its probability prefix. Past a
 * node whose output columns are not known here (a feature step, another dataset), nothing is checked.
 */
export interface ColumnContext {
  /** The pipeline's dataset id (sources without a datasetId read it) and its columns. */
  datasetId: string;
  columns: readonly string[];
}

interface KnownColumns {
  names: readonly string[];
  /** Columns known by prefix only: a classifier's probability columns, one per class. */
  prefixes: readonly string[];
}
type Columns = KnownColumns | undefined;

const PASS_THROUGH = new Set(['table.filter_rows', 'table.split', 'table.sample']);
const TRAINING = new Set(['model.train', 'model.automl']);

export function checkColumnReferences(
  definition: Pick<PipelineDefinition, 'nodes' | 'edges'>,
  context: ColumnContext,
): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  const byId = new Map(definition.nodes.map((node) => [node.id, node]));
  const output = new Map<string, Columns>();
  const visiting = new Set<string>();

  const outputOf = (id: string): Columns => {
    if (output.has(id)) return output.get(id);
    const node = byId.get(id);
    // A cycle or an unknown node is reported by the structural checks.
    if (!node || visiting.has(id)) return undefined;
    visiting.add(id);
    const result = columnsAfter(node, (port) => inputOf(id, port), context, issues);
    visiting.delete(id);
    output.set(id, result);
    return result;
  };
  /** What reaches a node's port (any port when none is named): known when one node feeds it. */
  const inputOf = (id: string, port?: string): Columns => {
    const sources = new Set(
      definition.edges
        .filter((edge) => edge.to.node === id && (port === undefined || edge.to.port === port))
        .map((edge) => edge.from.node),
    );
    if (sources.size !== 1) return undefined;
    return outputOf([...sources][0] ?? '');
  };
  for (const node of definition.nodes) outputOf(node.id);
  return issues;
}

function columnsAfter(
  node: PipelineNode,
  inputAt: (port?: string) => Columns,
  context: ColumnContext,
  issues: PipelineIssue[],
): Columns {
  const params = node.params;
  if (node.type === DATASET_SOURCE_NODE_TYPE) {
    const id = typeof params['datasetId'] === 'string' ? params['datasetId'].toLowerCase() : undefined;
    return id === undefined || id === context.datasetId.toLowerCase()
      ? { names: context.columns, prefixes: [] }
      : undefined;
  }
  if (node.type === 'table.join') return joinColumns(node, inputAt('left'), inputAt('right'), issues);
  const input =
    node.type === 'model.predict' || node.type === 'model.evaluate'
      ? inputAt('table')
      : TRAINING.has(node.type)
        ? inputAt('train')
        : inputAt();
  if (!input) return undefined;
  const check = (names: unknown, field: string) => checkNames(node.id, input, names, field, issues);
  const has = (name: string) => present(input, name);
  switch (node.type) {
    case 'table.select_columns':
      check(params['columns'], 'columns');
      return { names: stringsOf(params['columns']).filter(has), prefixes: [] };
    case 'table.drop_columns': {
      check(params['columns'], 'columns');
      const dropped = new Set(stringsOf(params['columns']));
      return { names: input.names.filter((c) => !dropped.has(c)), prefixes: input.prefixes };
    }
    case 'table.rename_columns': {
      const mapping = isRecord(params['mapping']) ? params['mapping'] : {};
      check(Object.keys(mapping), 'mapping');
      const renamed = (c: string) => (typeof mapping[c] === 'string' ? mapping[c] : c);
      const byPrefix = Object.keys(mapping).filter((c) => !input.names.includes(c) && has(c));
      return { names: [...input.names, ...byPrefix].map(renamed), prefixes: input.prefixes };
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
    case 'model.predict':
      check(params['target'], 'target');
      return predictionColumns(input, params);
    case 'model.evaluate':
      check(params['target'], 'target');
      return undefined;
    default:
      if (TRAINING.has(node.type)) {
        check(params['target'], 'target');
        return undefined;
      }
      return PASS_THROUGH.has(node.type) ? input : undefined;
  }
}

/** As `table.join` writes it: the keys, the left columns, then the right ones (suffixed on a clash). */
function joinColumns(node: PipelineNode, left: Columns, right: Columns, issues: PipelineIssue[]): Columns {
  const on = stringsOf(node.params['on']);
  if (left) checkNames(node.id, left, on, 'on', issues);
  if (right) checkNames(node.id, right, on, 'on', issues);
  if (!left || !right) return undefined;
  const suffix = typeof node.params['rightSuffix'] === 'string' ? node.params['rightSuffix'] : '_right';
  // A key missing on either side is reported above; the table goes on with the keys that exist.
  const keys = new Set(on);
  const names = [
    ...on.filter((c) => present(left, c) && present(right, c)),
    ...left.names.filter((c) => !keys.has(c)),
  ];
  const taken = new Set(names);
  for (const column of right.names) {
    if (keys.has(column)) continue;
    const alias = taken.has(column) ? `${column}${suffix}` : column;
    taken.add(alias);
    names.push(alias);
  }
  return { names, prefixes: [...left.prefixes, ...right.prefixes] };
}

/** As `model.predict` names them: "prediction" (or "prediction_2"… when taken) and the class columns. */
function predictionColumns(input: KnownColumns, params: Record<string, unknown>): KnownColumns {
  const wanted = typeof params['predictionColumn'] === 'string' ? params['predictionColumn'] : 'prediction';
  const prefix =
    typeof params['probabilityPrefix'] === 'string' ? params['probabilityPrefix'] : 'probability_';
  const taken = new Set(input.names.map((c) => c.toLowerCase()));
  let name = wanted;
  for (let n = 2; taken.has(name.toLowerCase()); n += 1) name = `${wanted}_${n}`;
  return { names: [...input.names, name], prefixes: [...input.prefixes, prefix] };
}

function present(columns: KnownColumns, name: string): boolean {
  return columns.names.includes(name) || columns.prefixes.some((prefix) => name.startsWith(prefix));
}

function checkNames(
  nodeId: string,
  input: KnownColumns,
  names: unknown,
  field: string,
  issues: PipelineIssue[],
): void {
  for (const name of stringsOf(names)) {
    if (!present(input, name)) issues.push(unknownColumn(nodeId, field, name, input.names));
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
