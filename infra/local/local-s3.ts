import { AsyncLocalStorage } from 'node:async_hooks';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { Logger } from '../../shared/observability/logger';
import {
  checkPresignedPost,
  maxUploadBytesOf,
  s3ErrorXml,
  type PostPolicyCredentials,
  type S3PostError,
} from './presigned-post-policy';

/**
 * The local object store: an s3rver (S3 protocol on 127.0.0.1) with one bucket, CORS open for
 * browser uploads to presigned POST URLs, and S3 event notifications: every object creation is
 * turned into the `S3Event` AWS would deliver (keys URL-encoded the way S3 encodes them, real
 * event names, bucket ARN, sequencer) and handed to `onObjectEvent` after the S3 response, so
 * a slow or failing handler never affects the upload.
 *
 * Browser uploads (`POST /{bucket}` with a presigned POST form) are checked here the way S3 checks
 * them before s3rver sees them, since s3rver stores them without reading the policy: signature,
 * expiration and every condition, including `content-length-range` against the file's real size.
 * A refused upload gets S3's error (403 AccessDenied, 400 EntityTooLarge, …), stores nothing and
 * produces no event; an accepted one is passed to s3rver byte for byte.
 */

/** The key pair the local server accepts (s3rver's built-in account); any SDK client can use it. */
export const LOCAL_S3_CREDENTIALS: PostPolicyCredentials = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};

export interface LocalS3Options {
  /** Where objects are stored (created if missing). */
  directory: string;
  /** 0 (default) picks a free port. */
  port?: number;
  bucket: string;
  onObjectEvent?: (event: S3Event) => Promise<void>;
  region?: string;
  /** Origins allowed by the bucket's CORS rule (default any). */
  corsOrigins?: string[];
  /** Only keys under these prefixes produce events (default all), like a notification filter. */
  eventPrefixes?: string[];
  /** Also deliver `ObjectRemoved:Delete` (default false: the platform subscribes to creations only). */
  includeRemovals?: boolean;
  logger?: Pick<Logger, 'error' | 'warn' | 'debug'>;
  /** Key pairs whose presigned POST policies are accepted (default `LOCAL_S3_CREDENTIALS`). */
  credentials?: PostPolicyCredentials[];
}

export interface LocalS3 {
  /** `http://127.0.0.1:{port}`; use with `forcePathStyle: true`. */
  endpoint: string;
  bucket: string;
  /** Resolves when every event handed to `onObjectEvent` so far has been handled. */
  whenEventsDelivered(): Promise<void>;
  stop(): Promise<void>;
}

/** What s3rver emits on `event` (its own, partly wrong, notification record). */
interface S3rverEvent {
  Records: {
    eventName: string;
    eventTime: string;
    requestParameters?: { sourceIPAddress?: string };
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } };
  }[];
}

interface S3rverInstance {
  configureBuckets(): Promise<unknown>;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: 'event', listener: (event: S3rverEvent) => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  store: { getMetadata(bucket: string, key: string): Promise<Record<string, string> | undefined> };
  logger: { close(): void };
}

type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

interface RequestInfo {
  method: string;
  url: string;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  assertListingCipherAvailable();
  const S3rver = require('s3rver') as S3rverConstructor;
  const region = options.region ?? 'us-east-1';
  await mkdir(options.directory, { recursive: true });

  const server = new S3rver({
    directory: options.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket, configs: [corsConfiguration(options.corsOrigins ?? ['*'])] }],
  });
  await server.configureBuckets();

  // s3rver reports multipart completion as `Post`; the request that caused the event tells them apart.
  const requests = new AsyncLocalStorage<RequestInfo>();
  const deliveries = new Set<Promise<void>>();
  const sequencer = sequencerSource();

  server.on('error', (error) => options.logger?.debug('Local S3 request error', { error }));
  server.on('event', (raw) => {
    const request = requests.getStore();
    for (const record of raw.Records) {
      const eventName = eventNameFor(record.eventName, request);
      if (eventName.startsWith('ObjectRemoved') && !options.includeRemovals) continue;
      const key = record.s3.object.key;
      if (options.eventPrefixes && !options.eventPrefixes.some((p) => key.startsWith(p))) continue;
      if (!options.onObjectEvent) continue;
      const handler = options.onObjectEvent;
      // Delivered after the current request finishes its work, never blocking the response.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve))
        .then(async () => {
          const eTag =
            record.s3.object.eTag ??
            (eventName === 'ObjectCreated:Copy' ? await etagOf(server, options.bucket, key) : undefined);
          const event: S3Event = {
            Records: [
              toS3Record({
                region,
                bucket: record.s3.bucket.name,
                key,
                eventName,
                eventTime: record.eventTime,
                sourceIp: record.requestParameters?.sourceIPAddress ?? '127.0.0.1',
                size: record.s3.object.size,
                eTag,
                sequencer: sequencer(),
              }),
            ],
          };
          await handler(event);
        })
        .catch((error: unknown) => {
          options.logger?.error('S3 event handler failed', { key, eventName, error });
        });
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  });

  const listener = server.callback();
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    normalizeCopySource(req);
    requests.run({ method: req.method ?? 'GET', url: req.url ?? '/' }, () => listener(req, res));
  };
  const postChecks = {
    credentials: options.credentials ?? [LOCAL_S3_CREDENTIALS],
    corsOrigins: options.corsOrigins ?? ['*'],
  };
  const http = createServer((req, res) => {
    const bucket = browserUploadBucket(req);
    if (bucket === undefined) {
      forward(req, res);
      return;
    }
    checkBrowserUpload(req, res, bucket, postChecks, forward).catch((error: unknown) => {
      options.logger?.error('Local S3 could not check a browser upload', { error });
      if (!res.headersSent) {
        sendS3Error(req, res, postChecks.corsOrigins, {
          status: 500,
          code: 'InternalError',
          message: 'We encountered an internal error. Please try again.',
          details: {},
        });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;

  const whenEventsDelivered = async () => {
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    whenEventsDelivered,
    async stop() {
      await new Promise<void>((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()));
        http.closeAllConnections();
      });
      await whenEventsDelivered();
      server.logger.close();
    },
  };
}

function eventNameFor(s3rverName: string, request: RequestInfo | undefined): string {
  if (
    s3rverName === 'ObjectCreated:Post' &&
    request?.method === 'POST' &&
    /[?&]uploadId=/.test(request.url)
  ) {
    return 'ObjectCreated:CompleteMultipartUpload';
  }
  return s3rverName;
}

async function etagOf(server: S3rverInstance, bucket: string, key: string): Promise<string | undefined> {
  const metadata = await server.store.getMetadata(bucket, key);
  const etag = metadata?.['etag'];
  return etag ? etag.replaceAll('"', '') : undefined;
}

/**
 * Encodes a key as S3 does in event notifications: form encoding (space → `+`), with letters,
 * digits, `.`, `-`, `_`, `*` and `/` left as they are and every other UTF-8 byte as `%XX`.
 * Handlers reverse it with `decodeS3EventKey` from shared/storage/object-keys.ts.
 */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9._*\-/]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * S3 URL-decodes `x-amz-copy-source` fully (`%2B` is `+`, `%25` is `%`); s3rver applies
 * `decodeURI`, which leaves `%2B`, `%23`, `%26`, `%3F`… encoded and then misses the source.
 * The header is rewritten so that s3rver's `decodeURI` yields the key S3 would read.
 */
export function normalizeCopySource(req: IncomingMessage): void {
  const header = req.headers['x-amz-copy-source'];
  if (typeof header !== 'string') return;
  const query = header.indexOf('?');
  const source = query < 0 ? header : header.slice(0, query);
  try {
    req.headers['x-amz-copy-source'] =
      encodeURI(decodeURIComponent(source)) + (query < 0 ? '' : header.slice(query));
  } catch {
    // A malformed escape: s3rver answers it as S3 would, with an error.
  }
}

function toS3Record(input: {
  region: string;
  bucket: string;
  key: string;
  eventName: string;
  eventTime: string;
  sourceIp: string;
  size: number | undefined;
  eTag: string | undefined;
  sequencer: string;
}): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: input.region,
    eventTime: input.eventTime,
    eventName: input.eventName,
    userIdentity: { principalId: 'AWS:AIDAPIPEWEAVELOCAL' },
    requestParameters: { sourceIPAddress: input.sourceIp },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'pipeweave-local-notifications',
      bucket: {
        name: input.bucket,
        ownerIdentity: { principalId: 'A3PIPEWEAVELOCAL' },
        arn: `arn:aws:s3:::${input.bucket}`,
      },
      object: {
        key: encodeS3EventKey(input.key),
        size: input.size ?? 0,
        eTag: input.eTag ?? '',
        sequencer: input.sequencer,
      },
    },
  };
}

/** Increasing hex sequencers, like S3's per-key ordering token. */
function sequencerSource(): () => string {
  let last = 0n;
  return () => {
    const next = BigInt(Date.now()) * 1_000_000n;
    last = next > last ? next : last + 1n;
    return last.toString(16).toUpperCase().padStart(18, '0');
  };
}

interface PostChecks {
  credentials: PostPolicyCredentials[];
  corsOrigins: string[];
}

/** The bucket of a browser upload (`POST /{bucket}` without a sub-resource), else undefined. */
function browserUploadBucket(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST') return undefined;
  const match = /^\/([^/?]+)\/?$/.exec(req.url ?? '');
  if (!match?.[1]) return undefined;
  // Anything else (a plain POST) is s3rver's to refuse, as it does.
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')
    ? decodeURIComponent(match[1])
    : undefined;
}

/**
 * Reads the form once: the raw body goes to a temp file (the upload may be large) while a scanner
 * collects the fields and measures the file part. The policy decides; an accepted upload is
 * replayed to s3rver from the temp file exactly as it came.
 */
async function checkBrowserUpload(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  checks: PostChecks,
  forward: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<void> {
  const boundary = boundaryOf(req.headers['content-type'] ?? '');
  if (!boundary) {
    req.resume();
    sendS3Error(req, res, checks.corsOrigins, malformedPost());
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'pw-s3-post-'));
  const cleanup = () => void rm(dir, { recursive: true, force: true });
  let handedOver = false;
  try {
    const bodyPath = path.join(dir, 'body');
    const out = createWriteStream(bodyPath);
    const scanner = new MultipartScanner(boundary);
    let written = 0;
    let keeping = true;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        scanner.push(chunk);
        // Bytes past the policy's own size limit are refused anyway: stop keeping them.
        if (
          keeping &&
          scanner.fileStarted &&
          scanner.fileSize > (scanner.sizeLimit ?? Number.POSITIVE_INFINITY)
        )
          keeping = false;
        if (!keeping) continue;
        written += chunk.length;
        if (!out.write(chunk)) await once(out, 'drain');
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    if (req.errored || !req.complete) return; // The client went away: nothing to answer.
    if (scanner.malformed || !scanner.finished) {
      sendS3Error(req, res, checks.corsOrigins, malformedPost());
      return;
    }
    if (!scanner.fileStarted) {
      sendS3Error(req, res, checks.corsOrigins, {
        status: 400,
        code: 'InvalidArgument',
        message: 'POST requires exactly one file upload per request.',
        details: { ArgumentName: 'file', ArgumentValue: '0' },
      });
      return;
    }
    const verdict = checkPresignedPost({
      bucket,
      fields: scanner.fields,
      fileSize: scanner.fileSize,
      now: new Date(),
      credentials: checks.credentials,
    });
    if (!verdict.ok) {
      sendS3Error(req, res, checks.corsOrigins, verdict.error);
      return;
    }
    const replay = replayOf(req, createReadStream(bodyPath), written);
    res.once('close', cleanup);
    handedOver = true;
    forward(replay, res);
  } finally {
    if (!handedOver) cleanup();
  }
}

/** The original request, its body read back from disk, for s3rver's Koa app. */
function replayOf(
  req: IncomingMessage,
  body: NodeJS.ReadableStream & object,
  length: number,
): IncomingMessage {
  const headers = { ...req.headers, 'content-length': String(length) };
  delete headers['transfer-encoding'];
  return Object.assign(body, {
    headers,
    rawHeaders: Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [name, String(value)],
    ),
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
    complete: true,
    aborted: false,
    trailers: {},
    rawTrailers: [],
  }) as unknown as IncomingMessage;
}

function sendS3Error(
  req: IncomingMessage,
  res: ServerResponse,
  corsOrigins: string[],
  error: Pick<S3PostError, 'code' | 'message' | 'details'> & { status: number },
): void {
  const body = s3ErrorXml(error);
  const origin = req.headers.origin;
  // Like S3 with a CORS rule: the browser may read the refusal.
  if (origin && (corsOrigins.includes('*') || corsOrigins.includes(origin))) {
    res.setHeader('Access-Control-Allow-Origin', corsOrigins.includes('*') ? '*' : origin);
    res.setHeader('Vary', 'Origin');
  }
  res.writeHead(error.status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
    // S3 closes the connection after refusing an upload.
    Connection: 'close',
  });
  res.end(body);
}

function malformedPost() {
  return {
    status: 400,
    code: 'MalformedPOSTRequest',
    message: 'The body of your POST request is not well-formed multipart/form-data.',
    details: {},
  };
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

// Form fields other than the file are small in S3 (its policy document is capped at 20 KB).
const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_PART_HEADER_BYTES = 16 * 1024;

/**
 * A streaming multipart/form-data scanner: fields before the file part are kept (in order, as
 * S3 ignores what follows the file), the file part named `file` is only measured.
 */
class MultipartScanner {
  readonly fields: Array<[string, string]> = [];
  fileStarted = false;
  fileSize = 0;
  /** The policy's `content-length-range` maximum, read when the file part starts. */
  sizeLimit: number | undefined;
  finished = false;
  malformed = false;

  readonly #delimiter: Buffer;
  // The body's first delimiter has no CRLF before it; starting with one makes every delimiter alike.
  #buffer: Buffer = Buffer.from('\r\n');
  #state: 'preamble' | 'after-delimiter' | 'headers' | 'body' = 'preamble';
  #part: { name: string; isFile: boolean; chunks: Buffer[]; size: number } | undefined;
  #fieldBytes = 0;

  constructor(boundary: string) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  push(chunk: Buffer): void {
    if (this.finished || this.malformed) return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (!this.finished && !this.malformed && this.#step());
  }

  /** One step of the state machine; false when it needs more input. */
  #step(): boolean {
    const buffer = this.#buffer;
    switch (this.#state) {
      case 'preamble': {
        const at = buffer.indexOf(this.#delimiter);
        if (at < 0) {
          this.#buffer = buffer.subarray(Math.max(0, buffer.length - this.#delimiter.length + 1));
          return false;
        }
        this.#buffer = buffer.subarray(at + this.#delimiter.length);
        this.#state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buffer.length < 2) return false;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          this.finished = true;
          return false;
        }
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) {
          if (buffer.length > 1024) this.malformed = true;
          return false;
        }
        // Only transport padding (spaces, tabs) may follow a delimiter on its line.
        if (!/^[ \t]*$/.test(buffer.subarray(0, lineEnd).toString('latin1'))) {
          this.malformed = true;
          return false;
        }
        this.#buffer = buffer.subarray(lineEnd + 2);
        this.#state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buffer.subarray(0, 2).toString('latin1') === '\r\n' ? 0 : buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffer.length > MAX_PART_HEADER_BYTES) this.malformed = true;
          return false;
        }
        const headerText = buffer.subarray(0, end).toString('utf8');
        this.#buffer = buffer.subarray(end === 0 ? 2 : end + 4);
        const disposition = /^content-disposition:(.*)$/im.exec(headerText)?.[1] ?? '';
        const name = dispositionParam(disposition, 'name');
        if (name === undefined) {
          this.malformed = true;
          return false;
        }
        const isFile = name === 'file' && !this.fileStarted;
        if (isFile) {
          this.fileStarted = true;
          this.sizeLimit = maxUploadBytesOf(this.fields);
        }
        this.#part = { name, isFile, chunks: [], size: 0 };
        this.#state = 'body';
        return true;
      }
      case 'body': {
        const at = buffer.indexOf(this.#delimiter);
        const safeEnd = at >= 0 ? at : Math.max(0, buffer.length - this.#delimiter.length + 1);
        this.#take(buffer.subarray(0, safeEnd));
        this.#buffer = at >= 0 ? buffer.subarray(at + this.#delimiter.length) : buffer.subarray(safeEnd);
        if (at < 0) return false;
        this.#endPart();
        this.#state = 'after-delimiter';
        return true;
      }
    }
  }

  #take(data: Buffer): void {
    const part = this.#part;
    if (!part || data.length === 0) return;
    if (part.isFile) {
      this.fileSize += data.length;
      return;
    }
    if (this.fileStarted) return; // after the file: ignored, as S3 does
    this.#fieldBytes += data.length;
    if (this.#fieldBytes > MAX_FIELD_BYTES) {
      this.malformed = true;
      return;
    }
    // Copy: the buffer it came from is reused for the next chunk.
    part.chunks.push(Buffer.from(data));
  }

  #endPart(): void {
    const part = this.#part;
    this.#part = undefined;
    if (!part || part.isFile) return;
    if (!this.fileStarted) this.fields.push([part.name, Buffer.concat(part.chunks).toString('utf8')]);
  }
}

function dispositionParam(disposition: string, param: string): string | undefined {
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of disposition.matchAll(pattern)) {
    if (match[1]?.toLowerCase() !== param) continue;
    return match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
  }
  return undefined;
}

function corsConfiguration(origins: string[]): string {
  const escape = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return [
    '<CORSConfiguration>',
    '<CORSRule>',
    ...origins.map((o) => `<AllowedOrigin>${escape(o)}</AllowedOrigin>`),
    ...['GET', 'HEAD', 'PUT', 'POST'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`),
    '<AllowedHeader>*</AllowedHeader>',
    '<ExposeHeader>ETag</ExposeHeader>',
    '<MaxAgeSeconds>3000</MaxAgeSeconds>',
    '</CORSRule>',
    '</CORSConfiguration>',
  ].join('');
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through
 * its legacy provider: without it every truncated listing answers 500. `npm start` and `npm test`
 * pass `--openssl-legacy-provider`; anything else starting the local S3 must too.
 */
function assertListingCipherAvailable(): void {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new Error(
      'The local S3 server needs Node started with --openssl-legacy-provider (it pages listings with DES). ' +
        'Use `npm start` / `npm test`, or set NODE_OPTIONS=--openssl-legacy-provider.',
    );
  }
}
