import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore, createS3Client } from '../../../../../shared/adapters/aws/s3-blob-store';
import { NotFoundError, ValidationError } from '../../../../../shared/kernel/app-error';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';
const bucket = 'pipeweave-test';

let server: ChildProcess | undefined;
let directory: string;
let client: S3Client;
let store: S3BlobStore;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pw-s3rver-'));
  const port = await startS3rver(directory);
  client = createS3Client({ region, endpoint: `http://127.0.0.1:${port}`, credentials });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  store = new S3BlobStore({ client, bucket });
});

afterAll(async () => {
  client?.destroy();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('S3BlobStore against a local S3 server', () => {
  it('puts, heads and gets an object with its type and metadata', async () => {
    const put = await store.put('raw/u1/d1/1/hello.csv', 'a,b\n1,2\n', {
      contentType: 'text/csv',
      metadata: { source: 'upload' },
    });

    const head = await store.head('raw/u1/d1/1/hello.csv');
    const got = await store.get('raw/u1/d1/1/hello.csv');
    const text = Buffer.from(await store.getBytes('raw/u1/d1/1/hello.csv')).toString('utf8');
    got.body.destroy();

    expect(put).toMatchObject({ key: 'raw/u1/d1/1/hello.csv', size: 8, contentType: 'text/csv' });
    expect(head).toMatchObject({
      size: 8,
      contentType: 'text/csv',
      metadata: { source: 'upload' },
      etag: put.etag,
    });
    expect(head?.lastModified).toBeInstanceOf(Date);
    expect(got.info).toMatchObject({ size: 8, contentType: 'text/csv' });
    expect(text).toBe('a,b\n1,2\n');
  });

  it('answers a missing object with undefined from head and NotFoundError from get', async () => {
    expect(await store.head('raw/nobody/here.csv')).toBeUndefined();
    const error = await store.get('raw/nobody/here.csv').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'OBJECT.NOT_FOUND', status: 404 });
  });

  it('stores exactly the bytes of a streamed body, with or without a known length', async () => {
    const bytes = randomBytes(300_000);
    const small = randomBytes(1_000);

    await store.put('jobs/u1/j1/n1/known.bin', Readable.from(chunks(bytes, 65_536)), {
      contentLength: bytes.byteLength,
    });
    await store.put('jobs/u1/j1/n1/unknown.bin', Readable.from(chunks(small, 100)));

    expect(Buffer.from(await store.getBytes('jobs/u1/j1/n1/known.bin')).equals(bytes)).toBe(true);
    expect(Buffer.from(await store.getBytes('jobs/u1/j1/n1/unknown.bin')).equals(small)).toBe(true);
  });

  it('uploads a long stream of unknown length in parts and reassembles it exactly', async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 12_345);

    const info = await store.put('processed/u1/d1/1/data.parquet', Readable.from(chunks(bytes, 1 << 20)), {
      contentType: 'application/vnd.apache.parquet',
    });

    const stored = Buffer.from(await store.getBytes('processed/u1/d1/1/data.parquet'));
    expect(info.size).toBe(bytes.byteLength);
    expect(stored.byteLength).toBe(bytes.byteLength);
    expect(sha256(stored)).toBe(sha256(bytes));
  });

  it('lists a prefix page by page with a cursor', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `exports/u1/e1/${k}.json`);
    await Promise.all(keys.map((key) => store.put(key, '{}')));
    await store.put('exports/u1/other.json', '{}');

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('exports/u1/e1/', { limit: 2, ...(cursor ? { cursor } : {}) });
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.key));
      cursor = page.nextCursor;
    } while (cursor);

    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(keys);
  });

  it('copies an object whose key needs URL encoding', async () => {
    // s3rver decodes x-amz-copy-source with decodeURI, so a key with a reserved character such as
    // "+" is not found there although S3 (which fully decodes it) copies it: the key avoids them.
    const from = 'raw/u1/d1/1/résumé final (v2) 100%.csv';
    await store.put(from, 'x,y\n', { contentType: 'text/csv' });

    const copied = await store.copy(from, 'quarantine/u1/copy of résumé.csv');

    expect(copied).toMatchObject({ key: 'quarantine/u1/copy of résumé.csv', size: 4 });
    expect(Buffer.from(await store.getBytes('quarantine/u1/copy of résumé.csv')).toString()).toBe('x,y\n');
  });

  it('deletes one object, and every object under a prefix in batches of 1000', async () => {
    await store.put('reports/u1/keep.json', '{}');
    await store.put('reports/u1/gone.json', '{}');
    await store.delete('reports/u1/gone.json');
    expect(await store.head('reports/u1/gone.json')).toBeUndefined();

    const keys = Array.from({ length: 1_003 }, (_, i) => `jobs/u2/j9/n${String(i).padStart(4, '0')}.bin`);
    await mapLimit(keys, 16, (key) => store.put(key, 'x'));

    const removed = await store.deletePrefix('jobs/u2/j9/');

    expect(removed).toBe(1_003);
    expect((await store.list('jobs/u2/j9/')).items).toEqual([]);
    expect(await store.head('reports/u1/keep.json')).toBeDefined();
    await expect(store.deletePrefix('')).rejects.toBeInstanceOf(ValidationError);
  });

  it('downloads an object to a file', async () => {
    const bytes = randomBytes(200_000);
    await store.put('processed/u1/d2/1/data.parquet', bytes);
    const file = join(directory, 'download.parquet');

    const info = await store.download('processed/u1/d2/1/data.parquet', file);

    expect(info.size).toBe(200_000);
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });

  it('gives a presigned GET that downloads the object under the requested name', async () => {
    await store.put('exports/u1/x1/data.csv', 'id\n1\n', { contentType: 'text/csv' });

    const url = await store.presignGet('exports/u1/x1/data.csv', 60, { downloadName: 'iris ✓.csv' });
    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('id\n1\n');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="iris _.csv"; filename*=UTF-8''iris%20%E2%9C%93.csv`,
    );
  });
});

describe('S3BlobStore presigned POST', () => {
  it('lets a browser-style form upload the file to the exact key', async () => {
    const post = await store.presignPost({
      key: 'raw/u1/d3/1/iris.csv',
      contentType: 'text/csv',
      maxBytes: 1_024,
      expiresInSeconds: 300,
    });
    const body = 'sepal_length,species\n5.1,setosa\n';

    const response = await fetch(post.url, { method: 'POST', body: form(post.fields, body, 'text/csv') });

    expect(response.status).toBe(204);
    const head = await store.head('raw/u1/d3/1/iris.csv');
    expect(head).toMatchObject({ size: body.length, contentType: 'text/csv' });
    expect(post.expiresAt.getTime()).toBeGreaterThan(Date.now() + 290_000);
    expect(post.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it('signs a policy that binds the key, the size range and the content type', async () => {
    const post = await store.presignPost({
      key: 'raw/u1/d4/1/big.parquet',
      contentType: 'application/vnd.apache.parquet',
      minBytes: 1,
      maxBytes: 5_000_000,
      expiresInSeconds: 600,
      metadata: { datasetVersionId: 'v-1' },
    });

    // s3rver 3.7.1 accepts the policy field but never evaluates it (its postObject marks `policy`
    // "unimplemented"): an upload over maxBytes or with another Content-Type is stored anyway, so
    // refusal cannot be shown against it. What real S3 enforces is the signed policy itself, so we
    // check its conditions and that its signature is valid for these credentials.
    const policy = JSON.parse(Buffer.from(post.fields.Policy ?? '', 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { key: 'raw/u1/d4/1/big.parquet' },
        { bucket },
        ['content-length-range', 1, 5_000_000],
        ['eq', '$Content-Type', 'application/vnd.apache.parquet'],
        { 'Content-Type': 'application/vnd.apache.parquet' },
        { 'x-amz-meta-datasetversionid': 'v-1' },
      ]),
    );
    expect(policy.conditions).not.toContainEqual(expect.arrayContaining(['starts-with']));
    expect(new Date(policy.expiration).getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(post.fields['x-amz-meta-datasetversionid']).toBe('v-1');

    const [accessKey, day, signedRegion, service] = (post.fields['X-Amz-Credential'] ?? '').split('/');
    expect([accessKey, signedRegion, service]).toEqual(['S3RVER', region, 's3']);
    // SigV4: the signing key is HMAC-chained from the secret through date, region, service.
    let signingKey: Buffer = Buffer.from(`AWS4${credentials.secretAccessKey}`);
    for (const part of [day ?? '', region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
    expect(post.fields['X-Amz-Signature']).toBe(
      createHmac('sha256', signingKey)
        .update(post.fields.Policy ?? '')
        .digest('hex'),
    );
  });

  it('refuses a policy that could not bound the upload', async () => {
    await expect(
      store.presignPost({
        key: 'raw/u1/${filename}',
        contentType: 'text/csv',
        maxBytes: 10,
        expiresInSeconds: 60,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.presignPost({ key: 'raw/u1/a.csv', contentType: 'text/csv', maxBytes: 0, expiresInSeconds: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

/**
 * s3rver in its own process, on a free port. It needs `--openssl-legacy-provider` on Node ≥ 17: it
 * makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy
 * provider, and without it every truncated listing fails with a 500 InternalError.
 */
async function startS3rver(dir: string): Promise<number> {
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1] })
      .run()
      .then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'));
  `;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script, dir], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = child;
  let output = '';
  for await (const chunk of child.stdout ?? []) {
    output += String(chunk);
    const line = output.split('\n')[0];
    if (output.includes('\n') && line) return (JSON.parse(line) as { port: number }).port;
  }
  throw new Error(`s3rver exited before listening (exit code ${child.exitCode})`);
}

function* chunks(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function form(fields: Record<string, string>, content: string, type: string): FormData {
  const data = new FormData();
  // S3 reads the fields before the file: the file goes last.
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  data.append('file', new Blob([content], { type }), 'upload.csv');
  return data;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}
