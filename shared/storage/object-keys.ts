import { ValidationError } from '../kernel/app-error';

/**
 * The one module that builds and parses object keys (see the object layout in the README).
 * Keys are built from validated ids, never from raw user strings; a user-supplied file name is
 * reduced to a safe basename first.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function id(value: string, what: string): string {
  const lower = value.toLowerCase();
  if (!UUID.test(lower)) throw new ValidationError(`${what} must be a UUID.`, { field: what });
  return lower;
}

function versionNumber(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError('version must be a positive integer.', { field: 'version' });
  }
  return value;
}

const MAX_FILE_NAME = 200;

/**
 * Reduce a client-supplied file name to something safe inside a key: no directories, no control
 * characters, no leading dots, bounded length; the extension is kept.
 */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .trim();
  const noLeadingDots = cleaned.replace(/^\.+/, '');
  if (noLeadingDots === '') throw new ValidationError('fileName must name a file.', { field: 'fileName' });
  if (noLeadingDots.length <= MAX_FILE_NAME) return noLeadingDots;
  const dot = noLeadingDots.lastIndexOf('.');
  const ext = dot > 0 && noLeadingDots.length - dot <= 16 ? noLeadingDots.slice(dot) : '';
  return noLeadingDots.slice(0, MAX_FILE_NAME - ext.length) + ext;
}

/**
 * The top-level prefixes whose next level is a user id. The purge deletes all of them for an
 * account, and the infrastructure grants the purge exactly these prefixes.
 */
export const USER_PREFIX_NAMES = [
  'raw',
  'processed',
  'reports',
  'jobs',
  'models',
  'exports',
  'dropbox',
  'staging',
  'sources',
] as const;

function contentName(sha256: string, extension: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256) || !/^[a-z0-9]{1,8}$/.test(extension))
    throw new ValidationError('A stored media file is named by its SHA-256 and a short extension.', {
      field: 'sha256',
    });
  return `${sha256}.${extension}`;
}

export const objectKeys = {
  raw: (userId: string, datasetId: string, version: number, fileName: string) =>
    `raw/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/${safeFileName(fileName)}`,
  processed: (userId: string, datasetId: string, version: number) =>
    `processed/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/data.parquet`,
  processedManifest: (userId: string, datasetId: string, version: number) =>
    `processed/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/manifest.parquet`,
  /** One image of an image dataset version, named by its content (SHA-256) and format. */
  processedImage: (userId: string, datasetId: string, version: number, sha256: string, extension: string) =>
    `processed/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/images/${contentName(sha256, extension)}`,
  /** One recording or clip of a media (audio, video) dataset version, named by its content. */
  processedMedia: (
    userId: string,
    datasetId: string,
    version: number,
    folder: 'audio' | 'video',
    sha256: string,
    extension: string,
  ) =>
    `processed/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/${folder}/${contentName(sha256, extension)}`,
  edaReport: (userId: string, datasetId: string, version: number) =>
    `reports/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${versionNumber(version)}/eda.json`,
  jobNodePrefix: (userId: string, jobId: string, nodeId: string) =>
    `jobs/${id(userId, 'userId')}/${id(jobId, 'jobId')}/${nodeKeyPart(nodeId)}/`,
  jobNodeOutput: (userId: string, jobId: string, nodeId: string, port: string, extension = 'parquet') =>
    `jobs/${id(userId, 'userId')}/${id(jobId, 'jobId')}/${nodeKeyPart(nodeId)}/${nodeKeyPart(port)}.${extension}`,
  model: (userId: string, modelId: string) =>
    `models/${id(userId, 'userId')}/${id(modelId, 'modelId')}/model.json`,
  /** The model's ONNX export, written on its first download and kept beside the JSON artifact. */
  modelOnnx: (userId: string, modelId: string) =>
    `models/${id(userId, 'userId')}/${id(modelId, 'modelId')}/model.onnx`,
  modelMetadata: (userId: string, modelId: string, name: string) =>
    `models/${id(userId, 'userId')}/${id(modelId, 'modelId')}/metadata/${safeFileName(name)}`,
  exportPrefix: (userId: string, exportId: string) =>
    `exports/${id(userId, 'userId')}/${id(exportId, 'exportId')}/`,
  /**
   * Where a user keeps files a dataset refreshes from (`s3://` sources). No event fires under
   * sources/: unlike the drop folder, nothing there is ingested or moved.
   */
  refreshSourcePrefix: (userId: string) => `sources/${id(userId, 'userId')}/`,
  /** A scheduled refresh's fetched file while it is hashed; no event fires under staging/. */
  refreshStaging: (userId: string, datasetId: string, runId: string) =>
    `staging/${id(userId, 'userId')}/${id(datasetId, 'datasetId')}/${id(runId, 'runId')}`,
  /** Every prefix holding one user's objects (`raw/{userId}/`, …): what purging an account deletes. */
  userPrefixes: (userId: string) => USER_PREFIX_NAMES.map((p) => `${p}/${id(userId, 'userId')}/`),
  quarantine: (arrivalId: string, originalKey: string) =>
    `quarantine/${id(arrivalId, 'arrivalId')}/${safeFileName(originalKey.split('/').pop() || 'object')}`,
  quarantineReport: (arrivalId: string) => `quarantine/${id(arrivalId, 'arrivalId')}/error.json`,
} as const;

/** Node ids and port names are user-chosen identifiers inside pipeline definitions. */
function nodeKeyPart(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(value)) {
    throw new ValidationError('node ids and port names use letters, digits, "_" and "-" (max 64).', {
      field: 'nodeId',
    });
  }
  return value;
}

/** S3 event notifications URL-encode keys (space as '+'); this reverses that. */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export type ParsedObjectKey =
  | { kind: 'raw'; userId: string; datasetId: string; version: number; fileName: string }
  | { kind: 'dropbox'; userId: string; path: string; fileName: string }
  | { kind: 'other'; prefix: string };

export class ObjectKeyError extends Error {
  override name = 'ObjectKeyError';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`Object key "${key}" is not acceptable: ${reason}`);
  }
}

/**
 * Parse a (decoded) key that arrived from outside — an upload or a drop-folder write. Rejects
 * traversal, control characters and malformed ids with a reason a person can act on.
 */
export function parseArrivalKey(key: string): ParsedObjectKey {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new ObjectKeyError(key, 'it contains control characters');
  const parts = key.split('/');
  if (parts.some((p) => p === '..' || p === '.'))
    throw new ObjectKeyError(key, 'it contains "." or ".." segments');
  if (parts.some((p) => p === '')) throw new ObjectKeyError(key, 'it contains an empty path segment');
  const [prefix, ...rest] = parts;
  if (prefix === 'raw') {
    const [userId, datasetId, version, ...file] = rest;
    if (!userId || !UUID.test(userId)) throw new ObjectKeyError(key, 'the user id is not a UUID');
    if (!datasetId || !UUID.test(datasetId)) throw new ObjectKeyError(key, 'the dataset id is not a UUID');
    const n = Number(version);
    if (!Number.isSafeInteger(n) || n < 1 || String(n) !== version) {
      throw new ObjectKeyError(key, 'the version is not a positive integer');
    }
    if (file.length !== 1 || !file[0])
      throw new ObjectKeyError(key, 'expected one file name after the version');
    return { kind: 'raw', userId, datasetId, version: n, fileName: file[0] };
  }
  if (prefix === 'dropbox') {
    const [userId, ...path] = rest;
    if (!userId || !UUID.test(userId)) {
      throw new ObjectKeyError(key, 'drop-folder files go under dropbox/{your user id}/');
    }
    const fileName = path[path.length - 1];
    if (!fileName) throw new ObjectKeyError(key, 'no file name after the user id');
    return { kind: 'dropbox', userId, path: path.join('/'), fileName };
  }
  return { kind: 'other', prefix: prefix ?? '' };
}
