import type { RequestContext } from '../../kernel/request-context';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import { withOwner } from '../../db/owner-filter';
import { invalidCursor } from '../../db/page-cursor';
import {
  ConflictError,
  NotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import { acceptRawArrival } from './ingestion/dispatch/accept-raw-arrival';
import type { ArrivalOutcome } from './ingestion/dispatch/object-arrival';
import { settleStuckVersion } from './ingestion/dispatch/sweep-stuck-versions';
import type { PresignedPost } from '../../ports/blob-store.port';
import type { Services } from '../../ports/services';
import { objectKeys, parseArrivalKey, safeFileName } from '../../storage/object-keys';
import type { DatasetVersion, IngestionJob } from './dataset-records';
import { findDataset, readUserUsage } from './dataset-repository';
import {
  findVersionByNumber,
  insertUploadingVersion,
  latestJobsByVersion,
  listVersions,
} from './dataset-version-repository';
import { acceptsFormat, fileKindOf, SUPPORTED_EXTENSIONS } from './file-formats';
import { recordCsvOptions, type CsvParseOptions } from './csv-parse-options';
import { checkFileAllowed, limitError, tierLimits } from './tier-limits';
import { assertAllowedContentType } from './upload-content-types';

/** How long a presigned POST stays valid. */
export const UPLOAD_WINDOW_SECONDS = 15 * 60;

export interface RequestUploadInput {
  fileName: string;
  contentType?: string | undefined;
  sizeBytes: number;
  label?: string | undefined;
  /** Parse options for a CSV or TSV file (what is not given is detected). */
  csv?: CsvParseOptions | undefined;
}

export interface UploadInstructions {
  method: 'POST';
  url: string;
  /** Send every field, in this order, before the file part. */
  fields: Record<string, string>;
  /** The multipart field that carries the bytes; it must come last. */
  fileField: 'file';
  key: string;
  contentType: string;
  sizeBytes: number;
  expiresAt: string;
  curl: string;
}

/**
 * Creates the next version (status uploading) and a presigned POST bound to its raw key, the
 * declared size and content type. Checked first: the file type, that the dataset's modality takes
 * it, and the tier's file-size and storage limits (the declared size is reserved until arrival).
 */
export async function requestVersionUpload(
  services: Pick<Services, 'db' | 'config' | 'clock' | 'blobs'>,
  caller: Caller,
  datasetId: string,
  input: RequestUploadInput,
  request: RequestContext,
): Promise<{ version: DatasetVersion; upload: UploadInstructions }> {
  // The one name stored, audited and put in the key; the client's own name only names its local file.
  const fileName = storedFileName(input.fileName);
  const kind = fileKindOf(fileName);
  if (!kind) {
    throw new UnsupportedMediaTypeError(
      'UPLOAD.UNSUPPORTED_TYPE',
      `"${fileName}" is not a supported file type; supported extensions: ${SUPPORTED_EXTENSIONS.join(', ')}.`,
      { field: 'body.fileName' },
    );
  }
  if (input.csv && kind.format !== 'csv' && kind.format !== 'tsv') {
    throw new ValidationError(
      `Parse options (csv) apply to CSV and TSV files, not to .${kind.extension} files.`,
      {
        field: 'body.csv',
      },
    );
  }
  if (input.contentType !== undefined) assertAllowedContentType(kind, input.contentType);
  const contentType = input.contentType ?? kind.contentType;
  const expiresAt = new Date(services.clock.now().getTime() + UPLOAD_WINDOW_SECONDS * 1000);

  const version = await withOwner(services.db, caller, async (trx) => {
    const usage = await readUserUsage(trx, caller.userId, { forUpdate: true });
    const dataset = await findDataset(trx, { userId: caller.userId, datasetId }, { forUpdate: true });
    if (!usage || !dataset) throw new NotFoundError('Dataset', datasetId);
    if (!acceptsFormat(dataset.modality, kind)) {
      throw new UnsupportedMediaTypeError(
        'UPLOAD.MODALITY_MISMATCH',
        `This dataset holds ${dataset.modality} data; a .${kind.extension} file cannot be a version of it.`,
        { field: 'body.fileName' },
      );
    }
    const breach = checkFileAllowed(
      usage,
      tierLimits(usage.tier, services.config.datasets?.tierLimits),
      input.sizeBytes,
    );
    if (breach) throw limitError(breach);
    const created = await insertUploadingVersion(trx, {
      userId: caller.userId,
      datasetId,
      originalFilename: fileName,
      originalFormat: kind.format,
      contentType,
      sizeBytes: input.sizeBytes,
      sourceType: caller.via === 'api-key' ? 'api' : 'upload',
      uploadExpiresAt: expiresAt,
      versionLabel: input.label ?? null,
      rawKey: (n) => objectKeys.raw(caller.userId, datasetId, n, fileName),
    });
    if (input.csv) await recordCsvOptions(trx, created.id, input.csv);
    await recordAudit(
      trx,
      auditEntry(
        request,
        'dataset_version.create',
        { type: 'dataset_version', id: created.id },
        {
          datasetId,
          version: created.versionNumber,
          fileName: created.originalFilename,
          sizeBytes: input.sizeBytes,
        },
      ),
    );
    return input.csv ? { ...created, csvOptions: input.csv } : created;
  });

  const key =
    version.rawObjectKey ?? objectKeys.raw(caller.userId, datasetId, version.versionNumber, fileName);
  const post = await services.blobs.presignPost({
    key,
    contentType,
    minBytes: input.sizeBytes,
    maxBytes: Math.max(1, input.sizeBytes),
    expiresInSeconds: UPLOAD_WINDOW_SECONDS,
  });
  return { version, upload: uploadInstructions(post, input.sizeBytes, input.fileName) };
}

function storedFileName(clientName: string): string {
  try {
    return safeFileName(clientName);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(error.message, { field: 'body.fileName' });
    throw error;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A file name inside curl's `-F name=@file`: curl splits that value at `;` (`;type=`,
 * `;filename=`) and `,`, unless the file name is in double quotes, inside which `\` escapes `"`
 * and `\` itself.
 */
function curlFormFile(localName: string): string {
  return `"${localName.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `localFileName`: the file as the client named it on its disk (the stored name may differ). */
export function uploadInstructions(
  post: PresignedPost,
  sizeBytes: number,
  localFileName: string,
): UploadInstructions {
  const form = Object.entries(post.fields).map(([name, value]) => `-F ${shellQuote(`${name}=${value}`)}`);
  const localName = localFileName.split(/[\\/]/).pop() ?? localFileName;
  return {
    method: 'POST',
    url: post.url,
    fields: post.fields,
    fileField: 'file',
    key: post.key,
    contentType: post.contentType,
    sizeBytes,
    expiresAt: post.expiresAt.toISOString(),
    curl: [
      'curl',
      '--fail',
      '--silent',
      '--show-error',
      '-X',
      'POST',
      shellQuote(post.url),
      ...form,
      `-F ${shellQuote(`file=@${curlFormFile(localName)}`)}`,
    ].join(' '),
  };
}

/**
 * Fallback when the storage event did not arrive (or to hurry it): looks at the uploaded object
 * and runs the same arrival step the event would. Idempotent with the event. An uploaded version
 * goes through it too: its message may never have been sent (a dispatch claim whose process died
 * is taken over once its lease expires). A version stuck in ingestion (its worker vanished and
 * the attempt lease expired) is re-driven as the version sweep would.
 */
export async function completeVersionUpload(
  services: Pick<Services, 'db' | 'config' | 'clock' | 'blobs' | 'queues' | 'logger'>,
  caller: Caller,
  datasetId: string,
  versionNumber: number,
): Promise<{
  version: DatasetVersion;
  job: IngestionJob | undefined;
  outcome: ArrivalOutcome['outcome'] | 'requeued' | 'failed';
}> {
  const version = await getVersionRow(services, caller, datasetId, versionNumber);
  if (!version.rawObjectKey)
    throw new ConflictError('UPLOAD.NOT_EXPECTED', 'This version does not take an upload.');
  let outcome: ArrivalOutcome['outcome'] | 'requeued' | 'failed' = 'duplicate';
  if (version.status === 'uploading' || version.status === 'uploaded') {
    const info = await services.blobs.head(version.rawObjectKey);
    if (!info) {
      throw new ConflictError(
        'UPLOAD.NOT_FOUND',
        'The file has not been uploaded yet: POST it to the upload URL first, then call complete.',
      );
    }
    const parsed = parseArrivalKey(version.rawObjectKey);
    if (parsed.kind !== 'raw')
      throw new ConflictError('UPLOAD.NOT_EXPECTED', 'This version does not take an upload.');
    const result = await acceptRawArrival(
      services,
      {
        bucket: services.blobs.bucket,
        key: version.rawObjectKey,
        size: info.size,
        etag: (info.etag ?? '').replaceAll('"', ''),
        ...(info.versionId ? { versionId: info.versionId } : {}),
      },
      parsed,
    );
    outcome = result.outcome;
  }
  // Sent but never finished: a job whose worker or message vanished (its lease expired) is
  // claimed again and its message sent again, or failed with the reason once it ran out of tries.
  const current = await getVersionWithJob(services, caller, datasetId, versionNumber);
  if (current.version.status === 'uploaded' || current.version.status === 'validating') {
    const settled = await settleStuckVersion(services, {
      versionId: version.id,
      userId: version.userId,
      datasetId: version.datasetId,
    });
    if (settled === 'requeued' || settled === 'failed') {
      return { ...(await getVersionWithJob(services, caller, datasetId, versionNumber)), outcome: settled };
    }
  }
  return { ...current, outcome };
}

async function getVersionRow(
  services: Pick<Services, 'db'>,
  caller: Caller,
  datasetId: string,
  versionNumber: number,
): Promise<DatasetVersion> {
  const version = await withOwner(services.db, caller, (trx) =>
    findVersionByNumber(trx, { userId: caller.userId, datasetId, versionNumber }),
  );
  if (!version)
    throw new NotFoundError('Dataset version', `${datasetId}/${versionNumber}`, {
      code: 'DATASET_VERSION.NOT_FOUND',
    });
  return version;
}

export async function getVersionWithJob(
  services: Pick<Services, 'db'>,
  caller: Caller,
  datasetId: string,
  versionNumber: number,
): Promise<{ version: DatasetVersion; job: IngestionJob | undefined }> {
  return withOwner(services.db, caller, async (trx) => {
    const version = await findVersionByNumber(trx, { userId: caller.userId, datasetId, versionNumber });
    if (!version)
      throw new NotFoundError('Dataset version', `${datasetId}/${versionNumber}`, {
        code: 'DATASET_VERSION.NOT_FOUND',
      });
    const jobs = await latestJobsByVersion(trx, [version.id]);
    return { version, job: jobs.get(version.id) };
  });
}

export async function listDatasetVersions(
  services: Pick<Services, 'db'>,
  caller: Caller,
  datasetId: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
): Promise<{
  items: { version: DatasetVersion; job: IngestionJob | undefined }[];
  nextCursor: string | null;
}> {
  const limit = query.limit ?? 50;
  // Versions page by their number: the cursor is the last number shown; anything else was not issued here.
  if (query.cursor !== undefined && !/^[1-9]\d{0,8}$/.test(query.cursor)) throw invalidCursor();
  const before = query.cursor === undefined ? undefined : Number(query.cursor);
  return withOwner(services.db, caller, async (trx) => {
    const dataset = await findDataset(trx, { userId: caller.userId, datasetId });
    if (!dataset) throw new NotFoundError('Dataset', datasetId);
    const rows = await listVersions(trx, {
      userId: caller.userId,
      datasetId,
      limit,
      ...(before !== undefined ? { beforeNumber: before } : {}),
    });
    const page = rows.slice(0, limit);
    const jobs = await latestJobsByVersion(
      trx,
      page.map((v) => v.id),
    );
    const last = page[page.length - 1];
    return {
      items: page.map((version) => ({ version, job: jobs.get(version.id) })),
      nextCursor: rows.length > limit && last ? String(last.versionNumber) : null,
    };
  });
}
