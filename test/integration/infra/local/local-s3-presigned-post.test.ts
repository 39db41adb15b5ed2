import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../../../infra/local/local-s3';
import { createS3Client, S3BlobStore } from '../../../../shared/adapters/aws/s3-blob-store';
import type { PresignedPost } from '../../../../shared/ports/blob-store.port';

/**
 * Browser uploads through presigned POST are refused locally when AWS would refuse them: the
 * policy from `S3BlobStore.presignPost` binds the size range and the content type, and the local
 * S3 enforces them (s3rver alone stores whatever is posted).
 */

const BUCKET = 'pipeweave-local';
let directory = '';
let s3: LocalS3;
let store: S3BlobStore;
const events: S3Event[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'pw-local-s3-post-'));
  s3 = await startLocalS3({
    directory,
    bucket: BUCKET,
    region: 'eu-west-1',
    onObjectEvent: async (event) => {
      events.push(event);
    },
  });
  store = new S3BlobStore({
    client: createS3Client({ region: 'eu-west-1', endpoint: s3.endpoint, credentials: LOCAL_S3_CREDENTIALS }),
    bucket: BUCKET,
  });
});

afterAll(async () => {
  await s3?.stop();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  events.length = 0;
});

let counter = 0;
async function presign(maxBytes: number): Promise<PresignedPost> {
  counter += 1;
  return store.presignPost({
    key: `raw/u1/d1/${counter}/data.csv`,
    contentType: 'text/csv',
    maxBytes,
    expiresInSeconds: 60,
  });
}

/** Posts the form as a browser does: every field, then the file last. */
async function upload(post: PresignedPost, body: Uint8Array, overrides: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...post.fields, ...overrides })) form.append(name, value);
  form.append('file', new Blob([body], { type: overrides['Content-Type'] ?? post.contentType }), 'data.csv');
  const response = await fetch(post.url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

async function keysStored(): Promise<string[]> {
  const page = await store.list('raw/');
  return page.items.map((item) => item.key);
}

describe('presigned POST on the local S3', () => {
  it('stores an upload within the policy and announces it with one ObjectCreated:Post event', async () => {
    const post = await presign(64);
    const result = await upload(post, Buffer.from('a,b\n1,2\n'));
    await s3.whenEventsDelivered();

    expect(result.status).toBe(204);
    expect(Buffer.from(await store.getBytes(post.key)).toString()).toBe('a,b\n1,2\n');
    expect(events).toHaveLength(1);
    expect(events[0]?.Records[0]).toMatchObject({
      eventName: 'ObjectCreated:Post',
      s3: { bucket: { name: BUCKET }, object: { key: post.key, size: 8 } },
    });
  });

  it('passes a large binary upload through unchanged (boundary-like bytes and all)', async () => {
    const post = await presign(4 * 1024 * 1024);
    // Random bytes plus sequences that look like the start of a multipart delimiter.
    const body = Buffer.concat([
      randomBytes(1_500_000),
      Buffer.from('\r\n--\r\n------'),
      randomBytes(1_500_000),
    ]);
    const result = await upload(post, body);
    await s3.whenEventsDelivered();

    expect(result.status).toBe(204);
    expect(Buffer.from(await store.getBytes(post.key)).equals(body)).toBe(true);
    expect(events).toHaveLength(1);
  });

  it('measures the file exactly, however the body is chunked: at the limit passes, one byte over is refused', async () => {
    const limit = 2 * 1024 * 1024 + 7;
    const atLimit = await presign(limit);
    const over = await presign(limit);
    expect((await upload(atLimit, randomBytes(limit))).status).toBe(204);
    const refused = await upload(over, randomBytes(limit + 1));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(`<ProposedSize>${limit + 1}</ProposedSize>`);
    expect(await store.head(over.key)).toBeUndefined();
  });

  it('refuses a file over the size range with EntityTooLarge: nothing stored, no event', async () => {
    const post = await presign(16);
    const result = await upload(post, Buffer.alloc(17, 'x'));
    await s3.whenEventsDelivered();

    expect(result.status).toBe(400);
    expect(result.text).toContain('<Code>EntityTooLarge</Code>');
    expect(result.text).toContain('<ProposedSize>17</ProposedSize>');
    expect(result.text).toContain('<MaxSizeAllowed>16</MaxSizeAllowed>');
    expect(await store.head(post.key)).toBeUndefined();
    expect(events).toHaveLength(0);
  });

  it('refuses another content type than the one signed with AccessDenied: nothing stored, no event', async () => {
    const post = await presign(64);
    const result = await upload(post, Buffer.from('%PDF-1.7'), { 'Content-Type': 'application/pdf' });
    await s3.whenEventsDelivered();

    expect(result.status).toBe(403);
    expect(result.text).toContain('<Code>AccessDenied</Code>');
    expect(result.text).toContain(
      'Invalid according to Policy: Policy Condition failed: [&quot;eq&quot;, &quot;$Content-Type&quot;, &quot;text/csv&quot;]',
    );
    expect(await store.head(post.key)).toBeUndefined();
    expect(events).toHaveLength(0);
  });

  it('refuses a form whose policy was altered after signing', async () => {
    const post = await presign(16);
    const policy = JSON.parse(Buffer.from(post.fields['Policy'] ?? '', 'base64').toString()) as {
      conditions: unknown[];
    };
    const widened = {
      ...policy,
      conditions: policy.conditions.map((c) =>
        Array.isArray(c) && c[0] === 'content-length-range' ? [c[0], 0, 1_000_000] : c,
      ),
    };
    const result = await upload(post, Buffer.alloc(100, 'x'), {
      Policy: Buffer.from(JSON.stringify(widened)).toString('base64'),
    });

    expect(result.status).toBe(403);
    expect(result.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await store.head(post.key)).toBeUndefined();
  });

  it('answers a body that is not multipart/form-data with MalformedPOSTRequest', async () => {
    const response = await fetch(`${s3.endpoint}/${BUCKET}`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=abc' },
      body: '--abc\r\nContent-Disposition: form-data; name="key"\r\n\r\nraw/x\r\n',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>MalformedPOSTRequest</Code>');
  });

  it('leaves no temporary files behind', async () => {
    const leftovers = (await readdir(tmpdir())).filter((name) => name.startsWith('pw-s3-post-'));
    // Other test files may be uploading at this moment; ours are all finished.
    const post = await presign(16);
    await upload(post, Buffer.alloc(17, 'x'));
    await upload(await presign(16), Buffer.from('a'));
    // Removal runs when the response has gone out: poll for it with a deadline.
    const ours = async () =>
      (await readdir(tmpdir())).filter((name) => name.startsWith('pw-s3-post-') && !leftovers.includes(name));
    const deadline = Date.now() + 5_000;
    while ((await ours()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await ours()).toEqual([]);
    expect(await keysStored()).toContain(`raw/u1/d1/${counter}/data.csv`);
  });
});
