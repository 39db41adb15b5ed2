import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';

/** The rows of a Parquet file's bytes, in file order, read by the SQL engine. */
export async function readParquetRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pw-parquet-rows-'));
  const engine = await openDuckDbEngine({ threads: 1, allowedDirectories: [dir] });
  try {
    const file = path.join(dir, 'rows.parquet');
    await writeFile(file, bytes);
    return await engine.all(
      `SELECT * EXCLUDE (file_row_number) FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`,
    );
  } finally {
    engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}
