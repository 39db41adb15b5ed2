import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';

/**
 * Drop-folder files whose names hold characters that URLs and form encoding treat specially
 * (`+`, `%`, spaces, non-ASCII letters) are filed and ingested like any other: the storage
 * event's key is decoded once, and the move to `raw/` names its source as S3 expects.
 */
let platform: LocalPlatform;
let dataDir: string;
let user: RegisteredUser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-drop-keys-'));
  platform = await startLocalPlatform({ dataDir, port: 0 });
  user = await registerUser(platform.url);
});
afterAll(async () => {
  await platform?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function get(pathname: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${platform.url}${pathname}`, { headers: user.authHeader });
  return (await res.json()) as Record<string, unknown>;
}

describe('drop-folder file names', () => {
  it.each([
    // The dataset is named by the file's stem; the stored file name keeps letters, digits, spaces, '.', '_', '-'.
    ['a plus sign', 'plus+sign.csv', 'plus+sign', 'plus_sign.csv'],
    ['a percent sign', '100% done.csv', '100% done', '100_ done.csv'],
    ['spaces', 'monthly  totals.csv', 'monthly  totals', 'monthly  totals.csv'],
    ['accented and non-Latin letters', 'données été 数据.csv', 'données été 数据', 'données été 数据.csv'],
  ])(
    'a file named with %s is ingested to a validated version',
    async (_what, fileName, datasetName, stored) => {
      const dropKey = `dropbox/${user.userId}/${fileName}`;
      await platform.services.blobs.put(dropKey, 'city,count\nOslo,3\nLima,5\n', { contentType: 'text/csv' });
      const dataset = await until(`"${fileName}" to become a dataset`, async () => {
        const items = (await get('/datasets?limit=100')).items as { id: string; name: string }[];
        return items.find((item) => item.name === datasetName);
      });
      const version = await until(
        `the version of "${fileName}" to finish ingestion`,
        async () => {
          const body = await get(`/datasets/${dataset.id}/versions/1`);
          return body.status === 'validated' || body.status === 'failed' ? body : undefined;
        },
        60_000,
      );
      expect(version.validationErrors ?? null).toBeNull();
      expect(version).toMatchObject({ status: 'validated', fileName: stored, rowCount: 2, columnCount: 2 });
      expect(await platform.services.blobs.head(dropKey)).toBeUndefined();
    },
  );
});
