import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { DatabaseTransaction } from '../db/database';
import { jsonb, type SchemaDeductionsTable } from '../db/schema';
import { ConflictError, NotFoundError, ValidationError } from '../errors/app-error';
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

export const proposedSchemaSchema = z.object({ columns: z.array(deducedColumnSchema) });

export const schemaOverrideSchema = z.strictObject({
  column: z.string().min(1),
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
): Promise<SchemaDeductionRow> {
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
      proposed_schema: jsonb({ columns }),
      column_metadata: jsonb(
        Object.fromEntries(columns.map((c) => [c.name, { confidence: c.confidence, samples: c.samples }])),
      ),
      status: 'proposed',
      confidence_score: schemaConfidence(columns),
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
  const columns = parseProposedSchema(row);
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
      proposed_schema: jsonb({ columns: accepted, overrides }),
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
