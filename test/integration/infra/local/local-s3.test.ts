import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../../../infra/local/local-s3';
import { decodeS3EventKey } from '../../../../shared/storage/object-keys';
import { TEST_EVENTS } from '../../../support/repo-paths';

const BUCKET = 'pipeweave-local';
let directory = '';
let s3: LocalS3;
let client: S3Client;
const events: S3Event[] = [];
let failNext = false;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'pw-local-s3-'));
  s3 = await startLocalS3({
    directory,
    bucket: BUCKET,
    region: 'eu-west-1',
    onObjectEvent: async (event) => {
      if (failNext) {
        failNext = false;
        throw new Error('handler bug');
      }
      events.push(event);
    },
  });
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => {
  events.length = 0;
});

/** Dotted paths of every leaf, to compare an event with a real one by shape. */
function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return shape(value[0], `${prefix}[]`);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .flatMap(([k, v]) => shape(v, prefix ? `${prefix}.${k}` : k))
      .sort();
  }
  return [`${prefix}:${typeof value}`];
}

describe('local S3', () => {
  it('turns a PutObject into one S3 event with the key encoded as S3 encodes it', async () => {
    const key = 'raw/u1/d1/1/my data (v2) ü.csv';
    const put = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'a,b\n1,2\n', ContentType: 'text/csv' }),
    );
    await s3.whenEventsDelivered();

    expect(events).toHaveLength(1);
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'raw/u1/d1/1/my+data+%28v2%29+%C3%BC.csv',
          size: 8,
          eTag: put.ETag?.replaceAll('"', ''),
        },
      },
    });
    expect(record?.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(Number.isNaN(Date.parse(record?.eventTime ?? ''))).toBe(false);
    expect(decodeS3EventKey(record?.s3.object.key ?? '')).toBe(key);
    const real = JSON.parse(
      await readFile(path.join(TEST_EVENTS, 's3-object-created-put.json'), 'utf8'),
    ) as S3Event;
    expect(shape(events[0])).toEqual(shape(real));

    const body = await (
      await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    ).Body?.transformToString();
    expect(body).toBe('a,b\n1,2\n');
  });

  it('accepts a browser-style presigned POST upload (CORS included) and emits ObjectCreated:Post', async () => {
    const key = 'dropbox/u1/sales report.csv';
    const post = await createPresignedPost(client, {
      Bucket: BUCKET,
      Key: key,
      Conditions: [
        ['content-length-range', 1, 1024],
        ['eq', '$Content-Type', 'text/csv'],
      ],
      Fields: { 'Content-Type': 'text/csv' },
      Expires: 60,
    });

    const preflight = await fetch(post.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');

    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append('file', new Blob(['x,y\n3,4\n'], { type: 'text/csv' }), 'sales report.csv');
    const response = await fetch(post.url, {
      method: 'POST',
      body: form,
      headers: { Origin: 'http://localhost:5173' },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await s3.whenEventsDelivered();

    expect(
      events.map((e) => [e.Records[0]?.eventName, e.Records[0]?.s3.object.key, e.Records[0]?.s3.object.size]),
    ).toEqual([['ObjectCreated:Post', 'dropbox/u1/sales+report.csv', 8]]);
  });

  it('names multipart completion and copies the way S3 does', async () => {
    const key = 'raw/u1/d2/1/big.bin';
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const part1 = await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: created.UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(5 * 1024 * 1024, 1),
      }),
    );
    const part2 = await client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: created.UploadId,
        PartNumber: 2,
        Body: Buffer.from('tail'),
      }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: created.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: part1.ETag },
            { PartNumber: 2, ETag: part2.ETag },
          ],
        },
      }),
    );
    await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: 'raw/u1/d2/1/copy.bin', CopySource: `${BUCKET}/${key}` }),
    );
    await s3.whenEventsDelivered();

    expect(events.map((e) => [e.Records[0]?.eventName, e.Records[0]?.s3.object.key])).toEqual([
      ['ObjectCreated:CompleteMultipartUpload', key],
      ['ObjectCreated:Copy', 'raw/u1/d2/1/copy.bin'],
    ]);
    expect(events[0]?.Records[0]?.s3.object.size).toBe(5 * 1024 * 1024 + 4);
    expect(events[1]?.Records[0]?.s3.object.eTag).toMatch(/^[0-9a-f]{32}/);
  });

  it('keeps serving and delivering after a handler fails', async () => {
    failNext = true;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/u1/first.csv', Body: '1' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/u1/second.csv', Body: '2' }));
    await s3.whenEventsDelivered();
    expect(events.map((e) => e.Records[0]?.s3.object.key)).toEqual(['raw/u1/second.csv']);
  });
});
