import type { Readable } from 'node:stream';

/** Object storage (S3 in AWS, the local S3-protocol server on one machine). Keys come from `shared/storage/object-keys.ts`. */
export interface BlobInfo {
  key: string;
  size: number;
  etag?: string;
  versionId?: string;
  contentType?: string;
  lastModified?: Date;
  metadata?: Record<string, string>;
}

export type BlobBody = Uint8Array | string | Readable;

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Size in bytes; required by S3 for streams of unknown length to avoid buffering. */
  contentLength?: number;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
  key: string;
  expiresAt: Date;
  maxBytes: number;
  contentType: string;
}

export interface PresignPostRequest {
  key: string;
  contentType: string;
  /** Upper bound enforced by the policy's content-length-range. */
  maxBytes: number;
  minBytes?: number;
  expiresInSeconds: number;
  metadata?: Record<string, string>;
}

export interface ListPage {
  items: BlobInfo[];
  nextCursor?: string;
}

export interface BlobStore {
  readonly bucket: string;
  put(key: string, body: BlobBody, options?: PutOptions): Promise<BlobInfo>;
  /** Streams the object; throws NotFoundError when absent. */
  get(key: string): Promise<{ info: BlobInfo; body: Readable }>;
  getBytes(key: string): Promise<Uint8Array>;
  /** Writes the object to a local file (e.g. under /tmp for DuckDB) and returns its info. */
  download(key: string, filePath: string): Promise<BlobInfo>;
  head(key: string): Promise<BlobInfo | undefined>;
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  delete(key: string): Promise<void>;
  /** Deletes every object under a prefix; returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  copy(fromKey: string, toKey: string): Promise<BlobInfo>;
  presignPost(request: PresignPostRequest): Promise<PresignedPost>;
  presignGet(key: string, expiresInSeconds: number, options?: { downloadName?: string }): Promise<string>;
}
