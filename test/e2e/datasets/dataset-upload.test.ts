import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeObjectCreatedHandler } from '../../../functions/ingest/object-created/object-created-handler';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { withSystemScope } from '../../../shared/db/tenant';
import { encodeS3EventKey } from '../../../infra/local/local-s3';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';

/**
 * The upload path as a client drives it on the local runtime: register, create a dataset, ask
 * for a presigned POST, upload a real CSV to the local S3 with fetch + FormData, and watch the
 * storage event turn the version into an ingestion job with a message on the tabular queue.
 * The free tier's file limit is lowered to 4 KiB so "too large" needs no large files.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/datasets');
const FILE_LIMIT = 4096;

interface VersionBody {
  id: string;
  version: number;
  status: string;
  sourceType: string;
  sizeBytes: number | null;
  validationErrors: { code: string; message: string }[] | null;
  ingestion: { jobId: string; status: string; percent: number } | null;
}

interface UploadBody {
  version: VersionBody;
  upload: {
    url: string;
    fields: Record<string, string>;
    fileField: string;
    key: string;
    curl: string;
    expiresAt: string;
  };
}

describe('dataset uploads on the local runtime', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let alice: RegisteredUser;

  const api = async (method: string, pathname: string, body?: unknown, user: RegisteredUser = alice) => {
    const res = await fetch(`${platform.url}${pathname}`, {
      method,
      headers: { ...user.authHeader, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };

  const jobsOf = (versionId: string) =>
    withSystemScope(platform.services.db, 'admin.e2e-check', (trx) =>
      trx.selectFrom('ingestion_jobs').selectAll().where('dataset_version_id', '=', versionId).execute(),
    );

  const createDataset = async (name: string) => {
    const res = await api('POST', '/datasets', { name, modality: 'tabular', tags: ['e2e'] });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-datasets-e2e-'));
    platform = await startLocalPlatform({
      dataDir,
      port: 0,
      env: { ...process.env, PW_TIER_LIMITS: JSON.stringify({ free: { maxFileBytes: FILE_LIMIT } }) },
    });
    alice = await registerUser(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a CSV through the presigned POST and queues one ingestion message on the tabular queue', async () => {
    const dataset = await createDataset('iris');
    const csv = await readFile(path.join(FIXTURES, 'iris-sample.csv'));

    const requested = await api('POST', `/datasets/${dataset.id}/versions`, {
      fileName: 'iris-sample.csv',
      contentType: 'text/csv',
      sizeBytes: csv.byteLength,
    });
    expect(requested.status).toBe(201);
    const { version, upload } = requested.body as unknown as UploadBody;
    expect(version).toMatchObject({ version: 1, status: 'uploading' });
    expect(upload.key).toBe(`raw/${alice.userId}/${dataset.id}/1/iris-sample.csv`);
    expect(upload.curl).toContain('file=@"iris-sample.csv"');
    expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append(upload.fileField, new Blob([csv], { type: 'text/csv' }), 'iris-sample.csv');
    const uploaded = await fetch(upload.url, { method: 'POST', body: form });
    expect(uploaded.status).toBeLessThan(300);

    const after = await until('the version to leave uploading', async () => {
      const res = await api('GET', `/datasets/${dataset.id}/versions/1`);
      const body = res.body as unknown as VersionBody;
      return body.status !== 'uploading' ? body : undefined;
    });
    expect(['uploaded', 'validating', 'validated', 'failed']).toContain(after.status);
    expect(after.sizeBytes).toBe(csv.byteLength);
    expect(after.ingestion).not.toBeNull();

    const jobs = await until('the message to be sent', async () => {
      const rows = await jobsOf(version.id);
      return rows.length === 1 && rows[0]?.message_id ? rows : undefined;
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ queue: 'tabular', source_type: 'upload', object_key: upload.key });

    // The same storage event delivered again changes nothing.
    const handler = makeObjectCreatedHandler(() => platform.services);
    const replay = await handler(s3Event(platform.s3.bucket, upload.key, csv.byteLength));
    expect(replay[0]?.outcome).toBe('duplicate');
    expect(await jobsOf(version.id)).toHaveLength(1);
  });

  it('lists the dataset with its newest version and finds it by name, tag and modality', async () => {
    const list = await api('GET', '/datasets?search=IRI&tag=e2e&modality=tabular');
    expect(list.status).toBe(200);
    const items = list.body['items'] as { name: string; latestVersion: { versionNumber: number } | null }[];
    expect(items.map((d) => d.name)).toEqual(['iris']);
    expect(items[0]?.latestVersion?.versionNumber).toBe(1);
    const none = await api('GET', '/datasets?modality=image');
    expect(none.body['items']).toEqual([]);
  });

  it('refuses a file over the tier limit before upload with 413 naming the limit and the tier', async () => {
    const dataset = await createDataset('too-big');
    const res = await api('POST', `/datasets/${dataset.id}/versions`, {
      fileName: 'big.csv',
      sizeBytes: FILE_LIMIT + 1,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'LIMIT.FILE_SIZE',
      details: { limit: 'fileSize', tier: 'free', allowed: FILE_LIMIT, requested: FILE_LIMIT + 1 },
    });
    const versions = await api('GET', `/datasets/${dataset.id}/versions`);
    expect(versions.body['items']).toEqual([]);
  });

  it('rejects an object over the tier limit on arrival, with a validation error, and deletes it', async () => {
    const dataset = await createDataset('grew-on-the-way');
    const requested = await api('POST', `/datasets/${dataset.id}/versions`, {
      fileName: 'data.csv',
      sizeBytes: 100,
    });
    expect(requested.status).toBe(201);
    const { upload } = requested.body as unknown as UploadBody;

    // S3 would refuse this through the POST policy (the local S3 does not check content-length-range);
    // tiers change and other writers exist, so the arrival check is what must catch it.
    await platform.services.blobs.put(upload.key, Buffer.alloc(FILE_LIMIT + 10, 'a'), {
      contentType: 'text/csv',
    });
    const failed = await until('the version to be rejected', async () => {
      const body = (await api('GET', `/datasets/${dataset.id}/versions/1`)).body as unknown as VersionBody;
      return body.status === 'failed' ? body : undefined;
    });
    expect(failed.validationErrors?.[0]?.code).toBe('LIMIT.FILE_SIZE');
    expect(failed.validationErrors?.[0]?.message).toMatch(/free tier accepts files up to 4 KiB/);
    await until('the object to be deleted', async () =>
      (await platform.services.blobs.head(upload.key)) ? undefined : true,
    );
  });

  it('files a drop-folder CSV as a new dataset named by the file and moves it under raw/', async () => {
    const dropKey = `dropbox/${alice.userId}/weekly sales.csv`;
    await platform.services.blobs.put(dropKey, await readFile(path.join(FIXTURES, 'semicolons.csv')), {
      contentType: 'text/csv',
    });
    const dataset = await until('the drop to become a dataset', async () => {
      const items = (await api('GET', '/datasets?search=weekly')).body['items'] as {
        id: string;
        name: string;
        sourceType: string;
      }[];
      return items[0];
    });
    expect(dataset).toMatchObject({ name: 'weekly sales', sourceType: 'dropfolder' });
    const version = await until('the dropped version to be uploaded', async () => {
      const body = (await api('GET', `/datasets/${dataset.id}/versions/1`)).body as unknown as VersionBody;
      return body.status !== 'uploading' ? body : undefined;
    });
    expect(version.sourceType).toBe('dropfolder');
    expect(await platform.services.blobs.head(dropKey)).toBeUndefined();
    expect(
      await platform.services.blobs.head(`raw/${alice.userId}/${dataset.id}/1/weekly sales.csv`),
    ).toBeDefined();
    const jobs = await until('the drop message', async () => {
      const rows = await jobsOf(version.id);
      return rows[0]?.message_id ? rows : undefined;
    });
    expect(jobs).toHaveLength(1);
  });

  it('quarantines drop keys with "../" or a NUL, with a JSON report, and creates nothing', async () => {
    const handler = makeObjectCreatedHandler(() => platform.services);
    const before = ((await api('GET', '/datasets?limit=200')).body['items'] as unknown[]).length;

    const traversal = `dropbox/${alice.userId}/../${alice.userId}/escape.csv`;
    const nul = `dropbox/${alice.userId}/bad\u0000name.csv`;
    for (const key of [traversal, nul]) {
      const [outcome] = await handler(s3Event(platform.s3.bucket, key, 10));
      expect(outcome?.outcome).toBe('quarantined');
      if (outcome?.outcome !== 'quarantined') continue;
      const report = JSON.parse(
        Buffer.from(await platform.services.blobs.getBytes(outcome.reportKey)).toString('utf8'),
      ) as {
        originalKey: string;
        errors: { code: string; message: string }[];
      };
      expect(report.originalKey).toBe(key);
      expect(report.errors[0]?.code).toBe('DROP.BAD_KEY');
      expect(report.errors[0]?.message).toMatch(key === nul ? /control characters/ : /"\.\."/);
    }
    const after = ((await api('GET', '/datasets?limit=200')).body['items'] as unknown[]).length;
    expect(after).toBe(before);
  });

  it('quarantines a drop of an unsupported type with its object and a report', async () => {
    const dropKey = `dropbox/${alice.userId}/notes.docx`;
    await platform.services.blobs.put(dropKey, 'not a dataset');
    const listed = await until('the quarantine report', async () => {
      const page = await platform.services.blobs.list('quarantine/');
      // The copy is written first, then the report beside it (other drops have reports too).
      const copy = page.items.find((item) => item.key.endsWith('/notes.docx'));
      const reportKey = copy?.key.replace('notes.docx', 'error.json');
      const report = page.items.find((item) => item.key === reportKey);
      return report && copy ? { report, copy } : undefined;
    });
    const report = JSON.parse(
      Buffer.from(
        await platform.services.blobs.getBytes(listed.copy.key.replace('notes.docx', 'error.json')),
      ).toString('utf8'),
    ) as {
      errors: { code: string }[];
      userId: string;
    };
    expect(report.errors[0]?.code).toBe('DROP.UNSUPPORTED_TYPE');
    expect(report.userId).toBe(alice.userId);
    await until('the original to be removed', async () =>
      (await platform.services.blobs.head(dropKey)) ? undefined : true,
    );
  });
});

/** An S3 ObjectCreated event as S3 sends it (key URL-encoded). */
function s3Event(bucket: string, key: string, size: number) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:TEST' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'TEST', 'x-amz-id-2': 'TEST' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'test',
          bucket: { name: bucket, ownerIdentity: { principalId: 'TEST' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeS3EventKey(key),
            size,
            eTag: 'd41d8cd98f00b204e9800998ecf8427e',
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}
