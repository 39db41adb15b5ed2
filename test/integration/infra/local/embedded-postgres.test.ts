import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../../infra/local/embedded-postgres';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) {
    // A failed assertion must not leave a server running.
    const pid = postmasterPid(join(root, 'data'));
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  }
});

async function freshRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'pipeweave-ep-'));
  roots.push(root);
  return root;
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  return Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

async function query<T extends pg.QueryResultRow>(connectionString: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  it('keeps data across stop and start', async () => {
    const dataDir = join(await freshRoot(), 'data');
    const first = await startEmbeddedPostgres({ dataDir, port: 0, databaseName: 'keep', durable: false });
    expect(first.version).toMatch(/^16\./);
    await query(first.connectionString, `CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')`);
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, port: 0, databaseName: 'keep' });
    try {
      expect(await query(second.connectionString, 'SELECT v FROM t')).toEqual([{ v: 'kept' }]);
    } finally {
      await second.stop();
    }
    expect(postmasterPid(dataDir)).toBeUndefined();
  });

  it('stops a postmaster left running by a killed process and starts on the same data', async () => {
    const dataDir = join(await freshRoot(), 'data');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/run-embedded-postgres.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('READY')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`child exited (${code}) before PostgreSQL was ready:\n${stderr}`)),
      );
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const orphan = postmasterPid(dataDir);
    expect(orphan).toBeDefined();
    expect(orphan !== undefined && isAlive(orphan)).toBe(true);

    const logs: string[] = [];
    const server = await startEmbeddedPostgres({
      dataDir,
      port: 0,
      databaseName: 'stale',
      logger: (m) => logs.push(m),
    });
    try {
      expect(orphan !== undefined && isAlive(orphan)).toBe(false);
      expect(logs.some((line) => line.includes(`stopping PostgreSQL (pid ${orphan})`))).toBe(true);
      expect(await query(server.connectionString, 'SELECT body FROM notes')).toEqual([
        { body: 'written before the crash' },
      ]);
    } finally {
      await server.stop();
    }
  });

  it('removes a pid file that names some other live process', async () => {
    const dataDir = join(await freshRoot(), 'data');
    const first = await startEmbeddedPostgres({ dataDir, port: 0, databaseName: 'reused', durable: false });
    await first.stop();
    // After a machine crash the recorded pid can belong to an unrelated process; PostgreSQL alone
    // would refuse to start ("lock file already exists").
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'postmaster.pid'), `${unrelated.pid}\n${dataDir}\n0\n5432\n`);
      const logs: string[] = [];

      const second = await startEmbeddedPostgres({
        dataDir,
        port: 0,
        databaseName: 'reused',
        logger: (m) => logs.push(m),
      });
      try {
        expect(await query(second.connectionString, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
        expect(logs.some((line) => line.includes('removing stale'))).toBe(true);
        expect(unrelated.exitCode).toBeNull();
      } finally {
        await second.stop();
      }
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('explains what to do when the data directory holds something else', async () => {
    const root = await freshRoot();
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'notes.txt'), 'not a database');

    await expect(startEmbeddedPostgres({ dataDir: join(root, 'data'), databaseName: 'x' })).rejects.toThrow(
      /not a PostgreSQL data directory.*Choose an empty or missing directory/s,
    );
  });
});
