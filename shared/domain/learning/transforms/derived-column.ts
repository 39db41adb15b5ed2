/**
 * Adds (or, with `replace`, replaces) a column computed by an expression over the other
 * columns, e.g. `price * quantity`, `if(age >= 18, 'adult', 'minor')`, `log(income + 1)`.
 * The grammar is in parse-expression.ts and the semantics in evaluate-expression.ts. Fitting
 * parses and type-checks the expression against the training table; the typed tree is the
 * state, so prediction evaluates exactly what was checked, without parsing again.
 */
import { findColumn, type Table, type TableColumn } from '../table';
import { checkExpressionTree, evaluateExpression } from './evaluate-expression';
import { ParamsReader } from './params-reader';
import { ExpressionError, parseExpression, type ExprNode } from './parse-expression';
import { mapColumns, TransformApplyError, type TransformState } from './transform-state';

const NAME = 'derived_column';

export interface DerivedColumnParams {
  /** The new column's name. */
  readonly name: string;
  readonly expression: string;
  /** Allows `name` to be an existing column, replaced in place. Default false. */
  readonly replace?: boolean;
}

export interface DerivedColumnState extends TransformState {
  readonly kind: 'derived_column';
  readonly format: 1;
  readonly name: string;
  readonly expression: string;
  readonly replace: boolean;
  readonly tree: ExprNode;
}

export function resolveDerivedColumnParams(raw: unknown) {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const name = r.string('name');
  const expression = r.string('expression');
  const replace = r.boolean('replace', false);
  r.finish();
  return { name, expression, replace };
}

export function fitDerivedColumn(table: Table, params: DerivedColumnParams): DerivedColumnState {
  const p = resolveDerivedColumnParams(params);
  const r: ParamsReader = new ParamsReader(NAME, params);
  const exists = findColumn(table, p.name) !== undefined;
  if (exists && !p.replace)
    r.fail(
      'name',
      `"${p.name}" is already a column; choose another name, or set replace to true to overwrite it.`,
    );
  const kinds = new Map(table.columns.map((c) => [c.name, c.kind] as const));
  let tree: ExprNode;
  try {
    tree = parseExpression(p.expression, kinds);
  } catch (error) {
    if (error instanceof ExpressionError) r.fail('expression', `is invalid: ${error.message}`);
    throw error;
  }
  if (tree.type === 'null') r.fail('expression', 'is always missing (null); give it a value to compute.');
  return {
    kind: 'derived_column',
    format: 1,
    name: p.name,
    expression: p.expression,
    replace: p.replace,
    tree,
  };
}

export function applyDerivedColumn(state: DerivedColumnState, table: Table): Table {
  checkExpressionTree(state.tree);
  const result = evaluateExpression(state.tree, table);
  let column: TableColumn;
  if (result.type === 'string') column = { name: state.name, kind: 'string', values: result.values };
  else if (result.type === 'null')
    throw new TransformApplyError(NAME, 'the expression has no value type; fit it again.', state.name);
  else column = { name: state.name, kind: result.type, values: result.values };
  if (findColumn(table, state.name) === undefined)
    return { nRows: table.nRows, columns: [...table.columns, column] };
  if (!state.replace)
    throw new TransformApplyError(
      NAME,
      `the rows already have a column "${state.name}", which the derived column would overwrite; rename it.`,
      state.name,
    );
  return mapColumns(NAME, table, (c) => (c.name === state.name ? [column] : [c]));
}

export function describeDerivedColumn(state: DerivedColumnState): string {
  return `${state.replace ? 'Replace' : 'Add'} column "${state.name}" = ${state.expression}.`;
}
