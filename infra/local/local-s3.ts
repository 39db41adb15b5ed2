import { AsyncLocalStorage } from 'node:async_hooks';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import type { Logger } from '../../shared/observability/logger';

/**
 * The local object store: an s3rver (S3 protocol on 127.0.0.1) with one bucket, CORS open for
 * browser uploads to presigned POST URLs, and S3 event notifications: every object creation is
 * turned into the `S3Event` AWS would deliver (keys URL-encoded the way S3 encodes them, real
 * event names, bucket ARN, sequencer) and handed to `onObjectEvent` after the S3 response, so
 * a slow or failing handler never affects the upload.
 */
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
          const eTag = record.s3.object.eTag ?? (eventName === 'ObjectCreated:Copy' ? await etagOf(server, options.bucket, key) : undefined);
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
  const http = createServer((req, res) => {
    requests.run({ method: req.method ?? 'GET', url: req.url ?? '/' }, () => listener(req, res));
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
  if (s3rverName === 'ObjectCreated:Post' && request?.method === 'POST' && /[?&]uploadId=/.test(request.url)) {
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

/** The inverse, for handlers: `decodeURIComponent` after turning `+` back into spaces. */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replaceAll('+', ' '));
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
