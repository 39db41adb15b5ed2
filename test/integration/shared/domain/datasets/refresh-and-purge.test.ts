import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../../shared/config/config';
import {
  findDataset,
  insertDataset,
  softDeleteDataset,
  updateDataset,
} from '../../../../../shared/domain/datasets/dataset-repository';
import { insertUploadingVersion } from '../../../../../shared/domain/datasets/dataset-version-repository';
import { purgeDeletedDatasets } from '../../../../../shared/domain/datasets/purge-deleted-datasets';
import { refreshDataset } from '../../../../../shared/domain/datasets/refresh/refresh-datasets';
import type { RefreshServices } from '../../../../../shared/domain/datasets/refresh/refresh-datasets';
import { safeFetch } from '../../../../../shared/domain/datasets/refresh/safe-fetch';
import { withSystemScope, withTenant } from '../../../../../shared/db/tenant';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { randomIds } from '../../../../../shared/kernel/ids.port';
import { objectKeys } from '../../../../../shared/storage/object-keys';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';
import { MemoryBlobs } from '../../../support/memory-blobs';

/**
 * Scheduled refresh against a real HTTPS server on this machine (a throwaway certificate; the
 * host is allow-listed the way the local runtime allows it) and the purge of deleted datasets,
 * both on PostgreSQL.
 */
let testDb: TestDatabase;
let certDir: string;
let cert: Buffer;
let server: Server;
let origin: string;
let feed = 'id,value\n1,10\n';

const config = loadConfig({
  PW_RUNTIME: 'local',
  PW_LOG_LEVEL: 'SILENT',
  PW_REFRESH_ALLOWED_HOSTS: 'localhost',
});
const resolveLocal = async () => [{ address: '127.0.0.1', family: 4 }];

beforeAll(async () => {
  testDb = await createTestDatabase();
  certDir = await mkdtemp(path.join(tmpdir(), 'pw-refresh-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { cwd: certDir, stdio: 'ignore' },
  );
  cert = await readFile(path.join(certDir, 'cert.pem'));
  server = createServer({ key: await readFile(path.join(certDir, 'key.pem')), cert }, (req, res) => {
    if (req.url === '/feed/prices.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' }).end(feed);
    } else if (req.url === '/moved.csv') {
      res.writeHead(302, { location: '/feed/prices.csv' }).end();
    } else if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end();
    } else if (req.url === '/big.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' }).end('x'.repeat(5000));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(certDir, { recursive: true, force: true });
  await testDb.drop();
});

async function text(body: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}

describe('safe fetch against a real HTTPS server', () => {
  // A getter: the certificate exists only once beforeAll has run.
  const base = () => ({ maxBytes: 1000, timeoutMs: 5000, resolve: resolveLocal, ca: cert });

  it('refuses the loopback server unless its host is allow-listed', async () => {
    await expect(safeFetch(new URL(`${origin}/feed/prices.csv`), base())).rejects.toThrow(
      /127\.0\.0\.1, a private or reserved address/,
    );
    const fetched = await safeFetch(new URL(`${origin}/feed/prices.csv`), {
      ...base(),
      allowedHosts: ['localhost'],
    });
    expect((await text(fetched.body)).toString()).toBe(feed);
  });

  it('follows a redirect but checks its target again', async () => {
    const moved = await safeFetch(new URL(`${origin}/moved.csv`), { ...base(), allowedHosts: ['localhost'] });
    expect(moved.finalUrl.pathname).toBe('/feed/prices.csv');
    await expect(
      safeFetch(new URL(`${origin}/to-metadata`), { ...base(), allowedHosts: ['localhost'] }),
    ).rejects.toThrow(/169\.254\.169\.254/);
  });

  it('stops reading past the size cap', async () => {
    // Refused from the declared length, or while reading when none is declared.
    await expect(
      safeFetch(new URL(`${origin}/big.csv`), { ...base(), allowedHosts: ['localhost'] }).then((fetched) =>
        text(fetched.body),
      ),
    ).rejects.toThrow(/1000/);
  });
});

describe('scheduled refresh', () => {
  it('stores a new version only when the fetched content changed', async () => {
    const user = await createTestUser(testDb.db);
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const blobs = new MemoryBlobs();
    const services: RefreshServices = {
      db: testDb.db,
      blobs,
      clock,
      config,
      logger: createLogger(config),
      ids: randomIds,
    };
    const scope = { userId: user.id, role: 'user' as const };
    const dataset = await withTenant(testDb.db, scope, async (trx) => {
      const created = await insertDataset(trx, { userId: user.id, name: 'prices', modality: 'tabular' });
      return updateDataset(
        trx,
        { userId: user.id, datasetId: created.id },
        {
          refresh: {
            sourceUrl: `${origin}/feed/prices.csv`,
            schedule: 'rate(1 hour)',
            nextRefreshAt: clock.now(),
          },
        },
      );
    });
    if (!dataset) throw new Error('dataset missing');
    const current = async () => {
      const found = await withTenant(testDb.db, scope, (trx) =>
        findDataset(trx, { userId: user.id, datasetId: dataset.id }),
      );
      if (!found) throw new Error('dataset missing');
      return found;
    };
    const options = { fetch: { resolve: resolveLocal, ca: cert } };

    const first = await refreshDataset(services, await current(), options);
    expect(first).toMatchObject({ outcome: 'new-version', versionNumber: 1 });
    const rawKey = objectKeys.raw(user.id, dataset.id, 1, 'prices.csv');
    expect(Buffer.from(blobs.objects.get(rawKey) ?? []).toString()).toBe(feed);

    clock.advance(3_600_000);
    expect(await refreshDataset(services, await current(), options)).toMatchObject({ outcome: 'unchanged' });

    feed = 'id,value\n1,10\n2,20\n';
    clock.advance(3_600_000);
    expect(await refreshDataset(services, await current(), options)).toMatchObject({
      outcome: 'new-version',
      versionNumber: 2,
    });

    const after = await current();
    expect(after.lastRefreshError).toBeNull();
    expect(after.nextRefreshAt?.toISOString()).toBe('2026-05-01T13:00:00.000Z');
    const versions = await withTenant(testDb.db, scope, (trx) =>
      trx
        .selectFrom('dataset_versions')
        .select(['version_number', 'source_type', 'status'])
        .where('dataset_id', '=', dataset.id)
        .orderBy('version_number')
        .execute(),
    );
    expect(versions).toEqual([
      { version_number: 1, source_type: 'scheduled', status: 'uploading' },
      { version_number: 2, source_type: 'scheduled', status: 'uploading' },
    ]);
  });

  it('records a refused source as the refresh error and tries again later', async () => {
    const user = await createTestUser(testDb.db);
    const clock = fixedClock('2026-05-01T10:00:00Z');
    const strict = loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT' });
    const services: RefreshServices = {
      db: testDb.db,
      blobs: new MemoryBlobs(),
      clock,
      config: strict,
      logger: createLogger(strict),
      ids: randomIds,
    };
    const scope = { userId: user.id, role: 'user' as const };
    const dataset = await withTenant(testDb.db, scope, async (trx) => {
      const created = await insertDataset(trx, { userId: user.id, name: 'internal', modality: 'tabular' });
      return updateDataset(
        trx,
        { userId: user.id, datasetId: created.id },
        {
          refresh: {
            sourceUrl: `${origin}/feed/prices.csv`,
            schedule: 'cron(0 3 * * ? *)',
            nextRefreshAt: clock.now(),
          },
        },
      );
    });
    if (!dataset) throw new Error('dataset missing');
    const result = await refreshDataset(services, dataset, { fetch: { resolve: resolveLocal, ca: cert } });
    expect(result).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('private or reserved'),
    });
    const after = await withTenant(testDb.db, scope, (trx) =>
      findDataset(trx, { userId: user.id, datasetId: dataset.id }),
    );
    expect(after?.lastRefreshError).toContain('private or reserved');
    expect(after?.nextRefreshAt?.toISOString()).toBe('2026-05-01T11:00:00.000Z');
  });
});

describe('purge of deleted datasets', () => {
  it('removes the objects and rows of datasets deleted long enough ago and expires abandoned uploads', async () => {
    const user = await createTestUser(testDb.db);
    const scope = { userId: user.id, role: 'user' as const };
    const blobs = new MemoryBlobs();
    const clock = fixedClock(new Date(Date.now() + 40 * 86_400_000));
    const make = async (name: string) =>
      withTenant(testDb.db, scope, async (trx) => {
        const dataset = await insertDataset(trx, { userId: user.id, name, modality: 'tabular' });
        const version = await insertUploadingVersion(trx, {
          userId: user.id,
          datasetId: dataset.id,
          originalFilename: 'a.csv',
          originalFormat: 'csv',
          contentType: 'text/csv',
          sizeBytes: 100,
          sourceType: 'upload',
          uploadExpiresAt: new Date(),
          rawKey: (n) => objectKeys.raw(user.id, dataset.id, n, 'a.csv'),
        });
        await blobs.put(version.rawObjectKey ?? '', 'a\n1\n');
        await blobs.put(objectKeys.processed(user.id, dataset.id, 1), 'parquet');
        return dataset;
      });
    const gone = await make('gone');
    const kept = await make('kept');
    await withTenant(testDb.db, scope, (trx) =>
      softDeleteDataset(trx, { userId: user.id, datasetId: gone.id }),
    );

    const report = await purgeDeletedDatasets({ db: testDb.db, blobs, clock, logger: createLogger(config) });

    expect(report.purgedDatasetIds).toContain(gone.id);
    expect(report.purgedDatasetIds).not.toContain(kept.id);
    expect([...blobs.objects.keys()].some((key) => key.includes(gone.id))).toBe(false);
    expect([...blobs.objects.keys()].filter((key) => key.includes(kept.id))).toHaveLength(2);
    const rows = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx.selectFrom('datasets').select('id').where('user_id', '=', user.id).execute(),
    );
    expect(rows.map((r) => r.id)).toEqual([kept.id]);
    // The kept dataset's upload never arrived: it no longer reserves storage.
    const owner = await withSystemScope(testDb.db, 'admin.test-check', (trx) =>
      trx
        .selectFrom('users')
        .select(['storage_used_bytes', 'dataset_count'])
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow(),
    );
    expect(owner).toEqual({ storage_used_bytes: 0, dataset_count: 1 });
  });
});
