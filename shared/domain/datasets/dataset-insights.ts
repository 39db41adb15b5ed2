import * as z from 'zod';
import type { DatabaseTransaction } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import { deducedColumnSchema } from './schema-deduction/deduce-schema';
import {
  acceptSchema,
  findVersionSchema,
  parseProposedSchema,
  rejectSchema,
  type SchemaDeductionRow,
  type SchemaOverride,
} from './schema-deduction/schema-deduction-repository';
import type { Services } from '../../ports/services';
import { findEdaReport, loadFullReport } from './profiling/eda-report-repository';
import { profileReportSchema, profileSummarySchema } from './profiling/profile-report';

/**
 * Read side of a version's profile and schema, and the schema decisions. The caller's own
 * datasets only (admins included, see `withOwner`); anyone else's dataset answers 404.
 */
export interface VersionAddress {
  datasetId: string;
  version: number;
}

export const schemaViewSchema = z
  .object({
    id: z.string(),
    datasetId: z.string(),
    datasetVersionId: z.string().nullable(),
    status: z.enum(['proposed', 'accepted', 'rejected', 'superseded']),
    confidence: z.number().nullable(),
    deducerVersion: z.string().nullable(),
    columns: z.array(deducedColumnSchema),
    rejectionReason: z.string().nullable(),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'SchemaDeduction' });
export type SchemaView = z.infer<typeof schemaViewSchema>;

export const profileViewSchema = z
  .object({
    datasetId: z.string(),
    version: z.number().int(),
    storage: z.enum(['postgres', 's3']),
    summary: profileSummarySchema,
    report: profileReportSchema,
  })
  .meta({ id: 'VersionProfile' });

export const previewViewSchema = z
  .object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())), rowCount: z.number().int() })
  .meta({ id: 'VersionPreview' });

async function versionOf(trx: DatabaseTransaction, owner: Owner, address: VersionAddress) {
  const version = await trx
    .selectFrom('dataset_versions')
    .innerJoin('datasets', 'datasets.id', 'dataset_versions.dataset_id')
    .select(['dataset_versions.id', 'dataset_versions.status', 'dataset_versions.row_count'])
    .where('datasets.user_id', '=', owner.userId)
    .where('dataset_versions.dataset_id', '=', address.datasetId)
    .where('dataset_versions.version_number', '=', address.version)
    .where('datasets.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!version)
    throw new NotFoundError('Dataset version', `${address.datasetId}/${address.version}`, {
      code: 'DATASET_VERSION.NOT_FOUND',
    });
  return version;
}

function notReady(status: string, what: string): ConflictError {
  return new ConflictError(
    `${what.toUpperCase()}.NOT_READY`,
    status === 'failed'
      ? `This version failed validation and has no ${what}; see its validation errors.`
      : `This version is ${status}; its ${what} is ready once it is validated.`,
  );
}

export async function getVersionProfile(services: Services, owner: Owner, address: VersionAddress) {
  const row = await withOwner(services.db, owner, async (trx) => {
    const version = await versionOf(trx, owner, address);
    const report = await findEdaReport(trx, version.id);
    if (!report) throw notReady(version.status, 'profile');
    return report;
  });
  const report = await loadFullReport(services.blobs, row);
  return {
    datasetId: address.datasetId,
    version: address.version,
    storage: row.storage_location,
    summary: profileSummarySchema.parse(row.summary),
    report,
  };
}

export async function getVersionPreview(
  services: Services,
  owner: Owner,
  address: VersionAddress,
  limit: number,
) {
  const { report } = await getVersionProfile(services, owner, address);
  return {
    columns: report.preview.columns,
    rows: report.preview.rows.slice(0, limit),
    rowCount: report.rowCount,
  };
}

function toSchemaView(row: SchemaDeductionRow): SchemaView {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    datasetVersionId: row.dataset_version_id,
    status: row.status,
    confidence: row.confidence_score,
    deducerVersion: row.deducer_version,
    columns: parseProposedSchema(row),
    rejectionReason: row.rejection_reason,
    decidedAt: row.decided_at ? new Date(row.decided_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export async function getVersionSchema(
  services: Services,
  owner: Owner,
  address: VersionAddress,
): Promise<SchemaView> {
  return withOwner(services.db, owner, async (trx) => {
    const version = await versionOf(trx, owner, address);
    const row = await findVersionSchema(trx, version.id);
    if (!row) throw notReady(version.status, 'schema');
    return toSchemaView(row);
  });
}

export async function acceptVersionSchema(
  services: Services,
  owner: Owner,
  address: VersionAddress,
  overrides: readonly SchemaOverride[],
): Promise<SchemaView> {
  return withOwner(services.db, owner, async (trx) => {
    const version = await versionOf(trx, owner, address);
    return toSchemaView(await acceptSchema(trx, version.id, owner.userId, overrides));
  });
}

export async function rejectVersionSchema(
  services: Services,
  owner: Owner,
  address: VersionAddress,
  reason: string,
): Promise<SchemaView> {
  return withOwner(services.db, owner, async (trx) => {
    const version = await versionOf(trx, owner, address);
    return toSchemaView(await rejectSchema(trx, version.id, owner.userId, reason));
  });
}
