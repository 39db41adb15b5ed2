import type { Database, DatabaseTransaction } from '../../db/database';
import type { Modality, NodeTypeKind } from '../../db/schema';
import { nodeTypeRowSchema, toNodeCatalog, type NodeCatalog, type NodeType } from './node-type';

/**
 * The node catalog (reference data, the same for every tenant: no row-level security). Rows are
 * parsed into NodeType so a malformed catalog entry fails loudly here, not deep in validation.
 */

const COLUMNS = [
  'key',
  'name',
  'description',
  'kind',
  'modalities',
  'input_ports',
  'output_ports',
  'parameters_schema',
  'runtime',
  'cost_model',
  'version',
  'is_active',
] as const;

export interface NodeTypeFilter {
  modality?: Modality;
  kind?: NodeTypeKind;
}

/** Active node types, by key; filtered by a modality they support and by kind. */
export async function listNodeTypes(
  db: Database | DatabaseTransaction,
  filter: NodeTypeFilter = {},
): Promise<NodeType[]> {
  let query = db.selectFrom('node_types').select(COLUMNS).where('is_active', '=', true);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  const rows = await query.orderBy('key').execute();
  const types = rows.map((row) => nodeTypeRowSchema.parse(row));
  // Filtered here rather than in SQL: text[] parameters differ between the two database drivers.
  return filter.modality
    ? types.filter((type) => type.modalities.includes(filter.modality as Modality))
    : types;
}

/** One node type by key, retired ones included (old pipelines still name them). */
export async function findNodeType(
  db: Database | DatabaseTransaction,
  key: string,
): Promise<NodeType | undefined> {
  const row = await db.selectFrom('node_types').select(COLUMNS).where('key', '=', key).executeTakeFirst();
  return row ? nodeTypeRowSchema.parse(row) : undefined;
}

/** The whole catalog for `validatePipeline`, retired types included so they are reported as such. */
export async function loadNodeCatalog(db: Database | DatabaseTransaction): Promise<NodeCatalog> {
  const rows = await db.selectFrom('node_types').select(COLUMNS).execute();
  return toNodeCatalog(rows.map((row) => nodeTypeRowSchema.parse(row)));
}
