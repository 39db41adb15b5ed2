import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import type { SqlEngine } from '../../../../../shared/ports/sql-engine.port';

/** Engine errors are read by users (as validation issues): they never carry our scratch paths. */
let dir: string;
let engine: SqlEngine;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pw-duckdb-paths-'));
  engine = await openDuckDbEngine({ tempDirectory: dir });
  await writeFile(path.join(dir, 'raw'), Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xfe]));
});
afterAll(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

describe('engine errors', () => {
  it.each([
    ['a missing file', (d: string) => `SELECT * FROM read_csv('${path.join(d, 'missing.csv')}')`],
    ['a binary file read as CSV', (d: string) => `SELECT * FROM sniff_csv('${path.join(d, 'raw')}')`],
  ])('about %s name no server path', async (_what, sql) => {
    const error = await engine.all(sql(dir)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).not.toContain(dir);
    expect(error?.message).not.toMatch(/\/tmp\//);
  });
});
