import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../shared/adapters/duckdb/duckdb-sql-engine';

/**
 * Whatever SQL a node or a worker runs, DuckDB reads and writes files only in the caller's scratch
 * directory: the rest of the machine (credentials in the environment, system files, other jobs'
 * scratch directories) is out of reach, and SQL cannot lift the restriction.
 */
let root: string;
let work: string;
let neighbour: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-duckdb-access-'));
  work = path.join(root, 'work');
  // A sibling whose name starts with the allowed one: a prefix match must not let it through.
  neighbour = path.join(root, 'work-other');
  await mkdir(path.join(work, 'spill'), { recursive: true });
  await mkdir(neighbour, { recursive: true });
  await writeFile(path.join(neighbour, 'secret.csv'), 'token\nabc\n');
  await writeFile(path.join(work, 'data.csv'), 'a,b\n1,x\n2,y\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const outside = [
  "SELECT * FROM read_csv('/etc/passwd')",
  "SELECT * FROM read_text('/proc/self/environ')",
  "SELECT * FROM read_text('/etc/hostname')",
  `SELECT * FROM read_text('${'WORK'}/../work-other/secret.csv')`,
  "SELECT * FROM glob('/etc/*')",
  "COPY (SELECT 1 AS x) TO '/tmp/pw-duckdb-escape.csv'",
  "ATTACH '/tmp/pw-duckdb-escape.db'",
];

describe('node sessions (parameterised statements)', () => {
  it('work on Parquet and CSV in the scratch directory and refuse every path outside it', async () => {
    const session = await openDuckDbEngine({
      threads: 1,
      tempDirectory: path.join(work, 'spill'),
      allowedDirectories: [work],
    });
    try {
      const parquet = path.join(work, 'out.parquet');
      await session.run(
        `COPY (SELECT * FROM read_csv('${path.join(work, 'data.csv')}')) TO '${parquet}' (FORMAT parquet)`,
      );
      expect(await session.query(`SELECT b FROM read_parquet('${parquet}') ORDER BY a`)).toEqual([
        { b: 'x' },
        { b: 'y' },
      ]);
      for (const statement of outside) {
        await expect(session.query(statement.replace('WORK', work)), statement).rejects.toThrow(
          /Permission Error|disabled by configuration/,
        );
      }
    } finally {
      session.close();
    }
  });

  it('cannot switch the restriction off from SQL', async () => {
    const session = await openDuckDbEngine({ threads: 1, allowedDirectories: [work] });
    try {
      for (const statement of [
        'SET enable_external_access = true',
        "SET allowed_directories = ['/']",
        'RESET allowed_directories',
        'SET lock_configuration = false',
      ]) {
        await expect(session.run(statement), statement).rejects.toThrow(/locked/);
      }
      await expect(session.query("SELECT * FROM read_csv('/etc/passwd')")).rejects.toThrow(
        /Permission Error/,
      );
    } finally {
      session.close();
    }
  });
});

describe('worker engines (SqlEngine)', () => {
  it('read and write beside their temp directory only', async () => {
    const engine = await openDuckDbEngine({ tempDirectory: path.join(work, 'spill') });
    try {
      await engine.run(
        `COPY (SELECT * FROM read_csv('${path.join(work, 'data.csv')}')) TO '${path.join(work, 'w.parquet')}' (FORMAT parquet)`,
      );
      expect(
        await engine.all(`SELECT count(*)::INT AS n FROM read_parquet('${path.join(work, 'w.parquet')}')`),
      ).toEqual([{ n: 2 }]);
      for (const statement of outside) {
        await expect(engine.all(statement.replace('WORK', work)), statement).rejects.toThrow(
          /Permission Error|disabled by configuration/,
        );
      }
    } finally {
      await engine.close();
    }
  });
});
