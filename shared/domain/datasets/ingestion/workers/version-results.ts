import type { DatasetVersion, VersionValidationIssue } from '../../dataset-records';
import { toDatasetVersion } from '../../dataset-records';
import {
  recordIngestionResult,
  recordValidationErrors,
  type IngestionIds,
} from '../../dataset-version-repository';
import type { DatabaseTransaction } from '../../../../db/database';
import type { JsonValue } from '../../../../db/schema';
import { copyEdaReport, findEdaReport } from '../../profiling/eda-report-repository';
import {
  findVersionSchema,
  parseProposedSchema,
  proposedSchemaSchema,
  proposeSchema,
} from '../../schema-deduction/schema-deduction-repository';

/**
 * Dedupe outcomes the dataset version repository does not cover: a re-upload of content the user
 * already has is linked to the canonical version and reuses its Parquet, profile and schema
 * instead of being processed and stored again.
 */
export async function findCanonicalVersion(
  trx: DatabaseTransaction,
  id: string,
): Promise<DatasetVersion | undefined> {
  const row = await trx.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toDatasetVersion(row) : undefined;
}

export type DuplicateOutcome = 'linked' | 'failed-like-canonical' | 'process';

/**
 * When the canonical version is validated, the duplicate becomes validated with the same results
 * (processed size 0: the Parquet is not stored twice); when it failed, the duplicate fails with
 * the same errors; otherwise (still in progress) the caller processes the file itself.
 */
export async function reuseCanonicalResults(
  trx: DatabaseTransaction,
  ids: IngestionIds & { userId: string; datasetId: string },
  canonical: DatasetVersion,
): Promise<DuplicateOutcome> {
  if (canonical.status === 'validated' && canonical.processedObjectKey) {
    const modality = isObject(canonical.modalityMetadata) ? canonical.modalityMetadata : {};
    await recordIngestionResult(trx, {
      ...ids,
      processedObjectKey: canonical.processedObjectKey,
      processedSizeBytes: 0,
      rowCount: canonical.rowCount ?? 0,
      columnCount: canonical.columnCount ?? 0,
      columnsMetadata: canonical.columnsMetadata ?? [],
      modalityMetadata: { ...modality, duplicateOfVersionId: canonical.id },
    });
    const ref = { userId: ids.userId, datasetId: ids.datasetId, datasetVersionId: ids.datasetVersionId };
    const report = await findEdaReport(trx, canonical.id);
    if (report) await copyEdaReport(trx, report, ref);
    const schema = await findVersionSchema(trx, canonical.id);
    if (schema)
      await proposeSchema(
        trx,
        ref,
        parseProposedSchema(schema),
        proposedSchemaSchema.parse(schema.proposed_schema).columnCount,
      );
    return 'linked';
  }
  if (canonical.status === 'failed') {
    const previous = Array.isArray(canonical.validationErrors)
      ? (canonical.validationErrors as unknown as VersionValidationIssue[])
      : [];
    await recordValidationErrors(trx, {
      ...ids,
      errors: [
        {
          code: 'FILE.DUPLICATE_OF_FAILED',
          message: `This file is identical to version ${canonical.versionNumber} of one of your datasets, which failed validation for the reasons below.`,
        },
        ...previous,
      ],
    });
    return 'failed-like-canonical';
  }
  return 'process';
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
