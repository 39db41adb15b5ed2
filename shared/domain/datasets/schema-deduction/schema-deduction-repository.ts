import { sql, type Selectable } from 'kysely';
import * as z from 'zod';
import type { DatabaseTransaction } from '../../../db/database';
import { jsonb, type SchemaDeductionsTable } from '../../../db/schema';
import { ConflictError, NotFoundError, ValidationError } from '../../../kernel/app-error';
import { clip, fitPrefix, ROW_JSON_BUDGET_BYTES } from '../../../kernel/bounded-json';
import {
  DEDUCER_VERSION,
  deducedColumnSchema,
  schemaConfidence,
  SEMANTIC_TYPES,
  type DeducedColumn,
} from './deduce-schema';

/**
 * Proposed schemas per dataset version. A new proposal supersedes the dataset's open proposals;
 * a person accepts one (optionally overriding column types/formats) or rejects it with a reason.
 * Functions run inside `withTenant`.
 */
export type SchemaDeductionRow = Selectable<SchemaDeductionsTable>;

export const proposedSchemaSchema = z.object({
  columns: z.array(deducedColumnSchema),
  /** Set when `columns` lists only the first of this many columns (a very wide table). */
  columnCount: z.number().int().optional(),
  truncated: z.boolean().optional(),
});

/** Samples kept per column, each cut to SAMPLE_CHARS: enough for a person to judge a type. */
export const SAMPLES_PER_COLUMN = 5;
export const SAMPLE_CHARS = 100;

/**
 * A proposal (`proposed_schema` and `column_metadata`, both JSON in one row) stays readable through
 * the Data API (rows of at most 64 KB, see profiling/data-api-json.ts): samples are bounded, and a
 * table too wide for the budget has its first columns proposed, with `truncated` and `columnCount`.
 */
function boundedProposal(columns: readonly DeducedColumn[], columnCount: number) {
  const bounded = columns.map((c) => ({
    ...c,
    samples: c.samples.slice(0, SAMPLES_PER_COLUMN).map((s) => clip(s, SAMPLE_CHARS)),
  }));
  // Each column is stored twice (schema entry, and confidence + samples by name): fit both.
  const entries = bounded.map((c) => ({
    column: c,
    meta: [c.name, { confidence: c.confidence, samples: c.samples }],
  }));
  const listed = fitPrefix(entries, ROW_JSON_BUDGET_BYTES - 256).map((e) => e.column);
  const truncated = listed.length < columnCount;
  return {
    proposedSchema: { columns: listed, ...(truncated ? { columnCount, truncated: true } : {}) },
    columnMetadata: Object.fromEntries(
      listed.map((c) => [c.name, { confidence: c.confidence, samples: c.samples }]),
    ),
  };
}

export const schemaOverrideSchema = z.strictObject({
  column: z.string().min(1).max(1_000),
  type: z.enum(SEMANTIC_TYPES).optional(),
  format: z.string().max(200).nullable().optional(),
  nullable: z.boolean().optional(),
});
export type SchemaOverride = z.infer<typeof schemaOverrideSchema>;

export interface SchemaRef {
  userId: string;
  datasetId: string;
  datasetVersionId: string;
}

export async function proposeSchema(
  trx: DatabaseTransaction,
  ref: SchemaRef,
  columns: readonly DeducedColumn[],
  /** The table's column count when `columns` is already a truncated list (a copied proposal). */
  columnCount = columns.length,
): Promise<SchemaDeductionRow> {
  const proposal = boundedProposal(columns, Math.max(columnCount, columns.length));
  await trx
    .updateTable('schema_deductions')
    .set({ status: 'superseded' })
    .where('dataset_id', '=', ref.datasetId)
    .where('status', '=', 'proposed')
    .execute();
  // A retried message proposes again for the same version: keep one row per version and attempt.
  await trx
    .deleteFrom('schema_deductions')
    .where('dataset_version_id', '=', ref.datasetVersionId)
    .where('status', '=', 'superseded')
    .execute();
  return trx
    .insertInto('schema_deductions')
    .values({
      user_id: ref.userId,
      dataset_id: ref.datasetId,
      dataset_version_id: ref.datasetVersionId,
      proposed_schema: jsonb(proposal.proposedSchema),
      column_metadata: jsonb(proposal.columnMetadata),
      status: 'proposed',
      confidence_score: schemaConfidence(proposal.proposedSchema.columns),
      deducer_version: DEDUCER_VERSION,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The version's latest deduction: accepted first, then the newest. */
export async function findVersionSchema(
  trx: DatabaseTransaction,
  datasetVersionId: string,
): Promise<SchemaDeductionRow | undefined> {
  return trx
    .selectFrom('schema_deductions')
    .selectAll()
    .where('dataset_version_id', '=', datasetVersionId)
    .orderBy(sql`status = 'accepted'`, 'desc')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export function parseProposedSchema(row: SchemaDeductionRow): DeducedColumn[] {
  return proposedSchemaSchema.parse(row.proposed_schema).columns;
}

export async function acceptSchema(
  trx: DatabaseTransaction,
  datasetVersionId: string,
  decidedBy: string,
  overrides: readonly SchemaOverride[] = [],
): Promise<SchemaDeductionRow> {
  const row = await decidable(trx, datasetVersionId);
  const { columns, columnCount, truncated } = proposedSchemaSchema.parse(row.proposed_schema);
  const names = new Set(columns.map((c) => c.name));
  const unknown = overrides.filter((o) => !names.has(o.column));
  if (unknown.length > 0) {
    throw new ValidationError(`Unknown column(s) in overrides: ${unknown.map((o) => o.column).join(', ')}.`, {
      issues: unknown.map((o) => ({
        field: 'body.overrides',
        message: `no column "${o.column}" in the proposed schema`,
      })),
    });
  }
  const byName = new Map(overrides.map((o) => [o.column, o]));
  const accepted = columns.map((c) => {
    const o = byName.get(c.name);
    if (!o) return c;
    // A person's choice is certain.
    return {
      ...c,
      ...(o.type === undefined ? {} : { type: o.type }),
      ...(o.format === undefined ? {} : { format: o.format }),
      ...(o.nullable === undefined ? {} : { nullable: o.nullable }),
      confidence: 1,
    };
  });
  return trx
    .updateTable('schema_deductions')
    .set({
      status: 'accepted',
      proposed_schema: jsonb({
        columns: accepted,
        overrides,
        ...(truncated ? { columnCount, truncated } : {}),
      }),
      confidence_score: schemaConfidence(accepted),
      decided_by: decidedBy,
      decided_at: sql<Date>`now()`,
      rejection_reason: null,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function rejectSchema(
  trx: DatabaseTransaction,
  datasetVersionId: string,
  decidedBy: string,
  reason: string,
): Promise<SchemaDeductionRow> {
  const row = await decidable(trx, datasetVersionId);
  return trx
    .updateTable('schema_deductions')
    .set({
      status: 'rejected',
      rejection_reason: reason,
      decided_by: decidedBy,
      decided_at: sql<Date>`now()`,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function decidable(trx: DatabaseTransaction, datasetVersionId: string): Promise<SchemaDeductionRow> {
  const row = await findVersionSchema(trx, datasetVersionId);
  if (!row) throw new NotFoundError('Schema', undefined, { code: 'SCHEMA.NOT_FOUND' });
  if (row.status !== 'proposed') {
    throw new ConflictError(
      'SCHEMA.ALREADY_DECIDED',
      row.status === 'superseded'
        ? 'This proposal was superseded by a newer version of the dataset; decide on the newest version.'
        : `This schema was already ${row.status}.`,
    );
  }
  return row;
}
