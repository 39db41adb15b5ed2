import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, ValidationError } from '../../kernel/app-error';
import type {
  BlobBody,
  BlobInfo,
  BlobStore,
  ListPage,
  PresignedPost,
  PresignPostRequest,
  PutOptions,
} from '../../ports/blob-store.port';
import { contentDisposition } from '../../storage/download-name';
import { errorName, httpStatus, translateCommonAwsError } from './aws-errors';

export interface S3ClientOptions {
  region: string;
  /** A local S3-protocol server (s3rver); absent in AWS. */
  endpoint?: string;
  /** Only for a local server; in AWS the function's role provides them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * One S3 client per process. With a local endpoint: path-style addressing (no bucket subdomains
 * on 127.0.0.1), and checksums only when an operation requires them — with the SDK default a
 * streamed PutObject is sent aws-chunked and the local server stores that framing in the object.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.endpoint
      ? {
          endpoint: options.endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
}

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
}

/** Parts of a multipart upload (S3 allows 5 MiB to 5 GiB per part and 10,000 parts). */
const PART_BYTES = 8 * 1024 * 1024;
/** Presigned POSTs are short-lived: the browser starts the upload right away. */
const MAX_POST_SECONDS = 3_600;
const MAX_GET_SECONDS = 7 * 24 * 3_600;

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly #client: S3Client;

  constructor(options: S3BlobStoreOptions) {
    this.#client = options.client;
    this.bucket = options.bucket;
  }

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<BlobInfo> {
    if (body instanceof Readable && options.contentLength === undefined)
      return this.#putStream(key, body, options);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const size = bytes instanceof Readable ? (options.contentLength ?? 0) : bytes.byteLength;
    const out = await this.#send('PutObject', key, () =>
      this.#client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: size,
          ...objectHeaders(options),
        }),
      ),
    );
    return toInfo(key, { ...putInfo(options), size, etag: out.ETag, versionId: out.VersionId });
  }

  /**
   * A stream of unknown length: S3 needs a length per request, so read one part; a small body goes
   * up as one PutObject, a larger one as a multipart upload (aborted if anything fails).
   */
  async #putStream(key: string, body: Readable, options: PutOptions): Promise<BlobInfo> {
    const parts = chunkStream(body, PART_BYTES);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    const second = first.done ? first : await parts.next();
    if (second.done) return this.put(key, firstPart, options);

    const created = await this.#send('CreateMultipartUpload', key, () =>
      this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ...objectHeaders(options),
        }),
      ),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`S3 CreateMultipartUpload for ${key} returned no UploadId.`);
    const completed: CompletedPart[] = [];
    let size = 0;
    try {
      const uploadPart = async (part: Buffer) => {
        const PartNumber = completed.length + 1;
        const out = await this.#send('UploadPart', key, () =>
          this.#client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber,
              Body: part,
              ContentLength: part.byteLength,
            }),
          ),
        );
        completed.push({ PartNumber, ...(out.ETag ? { ETag: out.ETag } : {}) });
        size += part.byteLength;
      };
      await uploadPart(firstPart);
      await uploadPart(second.value);
      for await (const part of parts) await uploadPart(part);
      const done = await this.#send('CompleteMultipartUpload', key, () =>
        this.#client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: completed },
          }),
        ),
      );
      return toInfo(key, { ...putInfo(options), size, etag: done.ETag, versionId: done.VersionId });
    } catch (error) {
      await this.#client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<{ info: BlobInfo; body: Readable }> {
    const out = await this.#send('GetObject', key, () =>
      this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if (!(out.Body instanceof Readable))
      throw new Error(`S3 GetObject for ${key} returned no readable body.`);
    return {
      info: toInfo(key, {
        size: out.ContentLength,
        etag: out.ETag,
        versionId: out.VersionId,
        contentType: out.ContentType,
        lastModified: out.LastModified,
        metadata: out.Metadata,
      }),
      body: out.Body,
    };
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const { body } = await this.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of body)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return new Uint8Array(Buffer.concat(chunks));
  }

  async download(key: string, filePath: string): Promise<BlobInfo> {
    const { info, body } = await this.get(key);
    try {
      await pipeline(body, createWriteStream(filePath));
    } catch (error) {
      // Leave no half-written file for a reader (DuckDB) to mistake for the object.
      await rm(filePath, { force: true });
      throw translateCommonAwsError(error, 'storage', 's3', `GetObject ${key}`);
    }
    return info;
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const out = await this.#send('HeadObject', key, () =>
        this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return toInfo(key, {
        size: out.ContentLength,
        etag: out.ETag,
        versionId: out.VersionId,
        contentType: out.ContentType,
        lastModified: out.LastModified,
        metadata: out.Metadata,
      });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = Math.min(1_000, Math.max(1, Math.floor(options.limit ?? 1_000)));
    const out = await this.#send('ListObjectsV2', prefix, () =>
      this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: limit,
          ...(options.cursor ? { ContinuationToken: options.cursor } : {}),
        }),
      ),
    );
    const items = (out.Contents ?? []).flatMap((o) =>
      o.Key ? [toInfo(o.Key, { size: o.Size, etag: o.ETag, lastModified: o.LastModified })] : [],
    );
    return {
      items,
      ...(out.IsTruncated && out.NextContinuationToken ? { nextCursor: out.NextContinuationToken } : {}),
    };
  }

  async delete(key: string): Promise<void> {
    await this.#send('DeleteObject', key, () =>
      this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async deletePrefix(prefix: string): Promise<number> {
    // An empty prefix would empty the bucket: no caller means that.
    if (prefix.length === 0)
      throw new ValidationError('Refusing to delete every object in the bucket (empty prefix).');
    let deleted = 0;
    let cursor: string | undefined;
    do {
      const page = await this.list(prefix, { limit: 1_000, ...(cursor ? { cursor } : {}) });
      cursor = page.nextCursor;
      if (page.items.length === 0) continue;
      const out = await this.#send('DeleteObjects', prefix, () =>
        this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: page.items.map((item) => ({ Key: item.key })), Quiet: true },
          }),
        ),
      );
      const errors = out.Errors ?? [];
      deleted += page.items.length - errors.length;
      if (errors.length > 0) {
        const first = errors[0];
        throw translateCommonAwsError(
          Object.assign(
            new Error(
              `${errors.length} objects under ${prefix} were not deleted; first: ${first?.Key}: ${first?.Message}`,
            ),
            {
              name: first?.Code ?? 'DeleteObjectsError',
            },
          ),
          'storage',
          's3',
          `DeleteObjects ${prefix}`,
        );
      }
    } while (cursor);
    return deleted;
  }

  async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    await this.#send('CopyObject', fromKey, () =>
      this.#client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          // CopySource is a URL path: each key segment is percent-encoded, the slashes are kept.
          CopySource: `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
        }),
      ),
    );
    const info = await this.head(toKey);
    if (!info) throw new NotFoundError('Object', toKey);
    return info;
  }

  async presignPost(request: PresignPostRequest): Promise<PresignedPost> {
    const minBytes = request.minBytes ?? 0;
    if (!Number.isInteger(request.maxBytes) || request.maxBytes < Math.max(1, minBytes)) {
      throw new ValidationError(
        `maxBytes must be a whole number of bytes of at least ${Math.max(1, minBytes)}.`,
      );
    }
    if (request.key.includes('${filename}')) {
      // S3 would turn that into a starts-with condition: the upload must land on this exact key.
      throw new ValidationError('A presigned upload key cannot contain ${filename}.');
    }
    const expiresIn = Math.max(1, Math.min(MAX_POST_SECONDS, Math.floor(request.expiresInSeconds)));
    const metadataFields = Object.fromEntries(
      Object.entries(request.metadata ?? {}).map(([name, value]) => [
        `x-amz-meta-${name.toLowerCase()}`,
        value,
      ]),
    );
    const expiresAt = new Date(Date.now() + expiresIn * 1_000);
    const post = await this.#send('PresignPost', request.key, () =>
      createPresignedPost(this.#client, {
        Bucket: this.bucket,
        Key: request.key,
        // Every field below is also signed as an exact-match condition; the key is bound exactly.
        Conditions: [
          ['content-length-range', minBytes, request.maxBytes],
          ['eq', '$Content-Type', request.contentType],
        ],
        Fields: { 'Content-Type': request.contentType, ...metadataFields },
        Expires: expiresIn,
      }),
    );
    return {
      url: post.url,
      fields: post.fields,
      key: request.key,
      expiresAt,
      maxBytes: request.maxBytes,
      contentType: request.contentType,
    };
  }

  async presignGet(
    key: string,
    expiresInSeconds: number,
    options: { downloadName?: string } = {},
  ): Promise<string> {
    const expiresIn = Math.max(1, Math.min(MAX_GET_SECONDS, Math.floor(expiresInSeconds)));
    return this.#send('PresignGet', key, () =>
      getSignedUrl(
        this.#client,
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(options.downloadName
            ? { ResponseContentDisposition: contentDisposition(options.downloadName) }
            : {}),
        }),
        { expiresIn },
      ),
    );
  }

  async #send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateS3Error(error, operation, this.bucket, key);
    }
  }
}

export function translateS3Error(error: unknown, operation: string, bucket: string, key: string): Error {
  const name = errorName(error);
  if (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (httpStatus(error) === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchUpload')
  ) {
    return new NotFoundError('Object', key, { cause: error });
  }
  if (name === 'NoSuchBucket') {
    return new Error(`S3 bucket "${bucket}" does not exist (${operation} ${key}): check PW_BUCKET.`, {
      cause: error,
    });
  }
  return translateCommonAwsError(error, 'storage', 's3', `${operation} ${bucket}/${key}`);
}

/** What a PUT sets on the object besides its bytes, as answered to the caller… */
const putInfo = (options: PutOptions) => ({ contentType: options.contentType, metadata: options.metadata });

/** …and as sent to S3. */
function objectHeaders(options: PutOptions): { ContentType?: string; Metadata?: Record<string, string> } {
  return {
    ...(options.contentType ? { ContentType: options.contentType } : {}),
    ...(options.metadata ? { Metadata: options.metadata } : {}),
  };
}

function toInfo(
  key: string,
  o: {
    size?: number | undefined;
    etag?: string | undefined;
    versionId?: string | undefined;
    contentType?: string | undefined;
    lastModified?: Date | undefined;
    metadata?: Record<string, string> | undefined;
  },
): BlobInfo {
  return {
    key,
    size: o.size ?? 0,
    ...(o.etag ? { etag: o.etag } : {}),
    ...(o.versionId ? { versionId: o.versionId } : {}),
    ...(o.contentType ? { contentType: o.contentType } : {}),
    ...(o.lastModified ? { lastModified: o.lastModified } : {}),
    ...(o.metadata && Object.keys(o.metadata).length > 0 ? { metadata: o.metadata } : {}),
  };
}

/** Re-chunks a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* chunkStream(stream: Readable, size: number): AsyncGenerator<Buffer, void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of stream) {
    let chunk =
      typeof raw === 'string'
        ? Buffer.from(raw)
        : Buffer.isBuffer(raw)
          ? raw
          : Buffer.from(raw as Uint8Array);
    while (pendingBytes + chunk.byteLength >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending);
      chunk = chunk.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.byteLength > 0) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
