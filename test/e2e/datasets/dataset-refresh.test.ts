import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRefreshDatasetsHandler } from '../../../functions/schedules/refresh-datasets/refresh-datasets-handler';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { withSystemScope } from '../../../shared/db/tenant';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { callApi } from '../../support/api-client';

/**
 * A dataset refreshed from a file in the owner's sources folder of the platform bucket, on the
 * local runtime: the refresh's copy to raw/ is the only arrival, so one refresh is one version.
 */
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/datasets');

const sweep = (): ScheduledEvent<Record<string, unknown>> => ({
  version: '0',
  id: 'sweep-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail: {},
});

describe('scheduled refresh from an s3:// source on the local runtime', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let alice: RegisteredUser;

  const api = (method: string, pathname: string, body?: unknown) =>
    callApi(platform.url, alice.authHeader, method, pathname, body);

  const versionsOf = (datasetId: string) =>
    withSystemScope(platform.services.db, 'admin.e2e-check', (trx) =>
      trx
        .selectFrom('dataset_versions')
        .select(['version_number', 'status', 'source_type'])
        .where('dataset_id', '=', datasetId)
        .orderBy('version_number')
        .execute(),
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-refresh-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    alice = await registerUser(platform.url);
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a schedule that can fire every minute, naming the field and the minimum', async () => {
    const created = await api('POST', '/datasets', { name: 'too-often', modality: 'tabular' });
    const res = await api('PATCH', `/datasets/${String(created.body['id'])}`, {
      refresh: { sourceUrl: 'https://example.com/data.csv', schedule: 'cron(* * * * ? *)' },
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'REFRESH.SCHEDULE_TOO_FREQUENT',
      field: 'body.refresh.schedule',
      details: { minimumIntervalMinutes: 15 },
    });
  });

  it('turns one refresh of a file under sources/ into exactly one version, and leaves the file in place', async () => {
    const bucket = platform.runtimeInfo.bucket;
    const sourceKey = `sources/${alice.userId}/feeds/iris.csv`;
    await platform.services.blobs.put(sourceKey, await readFile(path.join(FIXTURES, 'iris-sample.csv')), {
      contentType: 'text/csv',
    });
    const created = await api('POST', '/datasets', { name: 'iris-feed', modality: 'tabular' });
    const datasetId = String(created.body['id']);

    // The drop folder is refused: its files are ingested and moved as soon as they land.
    const dropbox = await api('PATCH', `/datasets/${datasetId}`, {
      refresh: { sourceUrl: `s3://${bucket}/dropbox/${alice.userId}/iris.csv`, schedule: 'rate(1 hour)' },
    });
    expect(dropbox.status).toBe(400);
    expect(dropbox.body).toMatchObject({ field: 'body.refresh.sourceUrl' });

    const patched = await api('PATCH', `/datasets/${datasetId}`, {
      refresh: { sourceUrl: `s3://${bucket}/${sourceKey}`, schedule: 'rate(1 hour)' },
    });
    expect(patched.status).toBe(200);

    const refresh = makeRefreshDatasetsHandler(() => platform.services);
    const first = await refresh(sweep());
    expect(first).toContainEqual(
      expect.objectContaining({ datasetId, outcome: 'new-version', versionNumber: 1 }),
    );
    const settled = await until('the refreshed version to be ingested', async () => {
      const versions = await versionsOf(datasetId);
      return versions.every((v) => v.status === 'validated' || v.status === 'failed') ? versions : undefined;
    });
    expect(settled).toEqual([{ version_number: 1, status: 'validated', source_type: 'scheduled' }]);

    // Due again with the same file: nothing new.
    await withSystemScope(platform.services.db, 'admin.e2e-check', (trx) =>
      trx.updateTable('datasets').set({ next_refresh_at: new Date() }).where('id', '=', datasetId).execute(),
    );
    const second = await refresh(sweep());
    expect(second).toContainEqual(expect.objectContaining({ datasetId, outcome: 'unchanged' }));

    expect(await versionsOf(datasetId)).toHaveLength(1);
    expect(await platform.services.blobs.head(sourceKey)).toBeDefined();
    expect((await platform.services.blobs.list('quarantine/')).items).toEqual([]);
    expect((await platform.services.blobs.list('staging/')).items).toEqual([]);
    const list = await api('GET', '/datasets');
    expect((list.body['items'] as { name: string }[]).map((d) => d.name).sort()).toEqual([
      'iris-feed',
      'too-often',
    ]);
  });
});
