import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../kernel/request-context';
import type { Caller } from '../../kernel/request-context';
import { ConflictError, NotFoundError, UnsupportedMediaTypeError } from '../../kernel/app-error';
import { withOwner } from '../../db/owner-filter';
import { jsonb } from '../../db/schema';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { CsvParseOptions } from './csv-parse-options';
import type { DatasetVersion, IngestionJob } from './dataset-records';
import { toDatasetVersion } from './dataset-records';
import { findDataset } from './dataset-repository';
import { findVersionByNumber } from './dataset-version-repository';
import { fileKindOf } from './file-formats';
import { recordIngestionJob } from './ingestion-job-repository';
import type { DispatchServices } from './ingestion/dispatch/object-arrival';
import { buildIngestionMessage, sendIngestionMessage } from './ingestion/dispatch/send-ingestion-message';

/** Delimited text is what parse options apply to. */
const DELIMITED_FORMATS = new Set(['csv', 'tsv']);

/**
 * Re-runs ingestion of a version on its stored raw file, with new parse options (no re-upload):
 * the options replace those given before, the version goes back to `uploaded` with a new
 * ingestion job, and the worker reads, profiles and types the file again. Refused while the
 * version is still being ingested, for files that are not delimited text, when the raw file is no
 * longer stored, and for a version other versions share results with (re-uploads of the same
 * bytes link to it: new results would change theirs).
 */
export async function reingestDatasetVersion(
  services: DispatchServices,
  caller: Caller,
  datasetId: string,
  versionNumber: number,
  options: CsvParseOptions,
  request: RequestContext,
): Promise<{ version: DatasetVersion; job: IngestionJob }> {
  const before = await withOwner(services.db, caller, (trx) =>
    findVersionByNumber(trx, { userId: caller.userId, datasetId, versionNumber }),
  );
  if (!before) throw versionNotFound(datasetId, versionNumber);
  const raw = before.rawObjectKey ? await services.blobs.head(before.rawObjectKey) : undefined;
  if (!before.rawObjectKey || !raw) {
    throw new ConflictError(
      'REINGEST.RAW_FILE_GONE',
      'The original file of this version is no longer stored, so it cannot be read again: upload it as a new version with these options.',
    );
  }

  const { dataset, version, job } = await withOwner(services.db, caller, async (trx) => {
    const dataset = await findDataset(trx, { userId: caller.userId, datasetId });
    const current = await findVersionByNumber(
      trx,
      { userId: caller.userId, datasetId, versionNumber },
      { forUpdate: true },
    );
    if (!dataset || !current) throw versionNotFound(datasetId, versionNumber);
    const kind = fileKindOf(current.originalFilename);
    if (!DELIMITED_FORMATS.has(kind?.format ?? current.originalFormat)) {
      throw new UnsupportedMediaTypeError(
        'REINGEST.NOT_DELIMITED',
        `Parse options apply to CSV and TSV files; "${current.originalFilename}" is read as ${kind?.format ?? current.originalFormat}.`,
        { field: 'body' },
      );
    }
    if (current.status !== 'validated' && current.status !== 'failed') {
      throw new ConflictError(
        'REINGEST.IN_PROGRESS',
        `This version is ${current.status}: wait until it is validated or failed, then re-ingest it.`,
      );
    }
    const sharers = await trx
      .selectFrom('dataset_versions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('duplicate_of_version_id', '=', current.id)
      .executeTakeFirstOrThrow();
    if (Number(sharers.n) > 0) {
      throw new ConflictError(
        'REINGEST.SHARED_RESULTS',
        `${sharers.n} other version(s) are re-uploads of this file and share its results: upload the file as a new version with these options instead.`,
      );
    }
    const updated = await trx
      .updateTable('dataset_versions')
      .set({ csv_options: jsonb(options), status: 'uploaded', validation_errors: null })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const { job } = await recordIngestionJob(trx, {
      userId: caller.userId,
      datasetId,
      datasetVersionId: current.id,
      sourceType: current.sourceType,
      objectKey: current.rawObjectKey ?? '',
      idempotencyKey: `reingest:${current.id}:${randomUUID()}`,
    });
    await recordAudit(
      trx,
      auditEntry(
        request,
        'dataset_version.reingest',
        { type: 'dataset_version', id: current.id },
        { datasetId, version: versionNumber, csv: options },
      ),
    );
    return { dataset, version: toDatasetVersion(updated), job };
  });

  await sendIngestionMessage(
    services,
    buildIngestionMessage({
      job,
      dataset,
      version,
      bucket: services.blobs.bucket,
      key: before.rawObjectKey,
      size: raw.size,
      etag: (raw.etag ?? '').replaceAll('"', ''),
      ...(raw.versionId ? { versionId: raw.versionId } : {}),
      arrivedAt: services.clock.now(),
    }),
  );
  return { version, job };
}

function versionNotFound(datasetId: string, versionNumber: number): NotFoundError {
  return new NotFoundError('Dataset version', `${datasetId}/${versionNumber}`, {
    code: 'DATASET_VERSION.NOT_FOUND',
  });
}
