import { expect } from 'vitest';
import { readParquetRows } from './text/parquet-rows';

/** The rows of a job node's table output, downloaded as its owner would. */
export async function nodeOutputRows(
  baseUrl: string,
  authHeader: Record<string, string>,
  jobId: unknown,
  node: string,
  port = 'table',
): Promise<Record<string, unknown>[]> {
  const output = await fetch(`${baseUrl}/jobs/${String(jobId)}/nodes/${node}/outputs/${port}/download`, {
    headers: authHeader,
  });
  expect(output.status).toBe(200);
  return readParquetRows(new Uint8Array(await output.arrayBuffer()));
}
