import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { largeCsv } from '../../support/large-csv';
import { until } from '../../support/until';

/**
 * The local platform killed (SIGKILL: no shutdown of any kind) while a file is being ingested,
 * then started again on the same data directory: the version ends validated from the file it
 * already has, without a new upload. Its worker and its queued message died with the process;
 * the version sweep that runs at start sends the job again.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const ROWS = 300_000;

interface Running {
  child: ChildProcess;
  url: string;
  closed: Promise<void>;
  output: () => string;
}

async function startPlatform(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '--openssl-legacy-provider',
      PW_DATA_DIR: dataDir,
      PW_HTTP_PORT: '0',
      PW_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the kill reaches every process it started, as a crash of the machine would.
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no URL printed within 120 s:\n${text}`)), 120_000);
    child.stdout?.on('data', () => {
      const match = /PipeWeave is running at (http:\/\/\S+)/.exec(text);
      if (match?.[1]) {
        clearTimeout(deadline);
        resolve(match[1]);
      }
    });
    void closed.then(() => {
      clearTimeout(deadline);
      reject(new Error(`the platform ended before printing a URL:\n${text}`));
    });
  });
  return { child, url, closed, output: () => text };
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<void> {
  if (running.child.pid && running.child.exitCode === null) process.kill(-running.child.pid, signal);
  await running.closed;
}

describe('a crash during ingestion', () => {
  let dataDir: string;
  let running: Running | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pipeweave-crash-'));
  });
  afterAll(async () => {
    if (running) await stop(running, 'SIGINT');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ends validated after a restart, from the file already uploaded', { timeout: 300_000 }, async () => {
    const bytes = largeCsv(ROWS);
    running = await startPlatform(dataDir);
    const user: RegisteredUser = await registerUser(running.url);
    const api = async (method: string, pathname: string, body?: unknown) => {
      const res = await fetch(`${running?.url}${pathname}`, {
        method,
        headers: { ...user.authHeader, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).catch((error: unknown) => {
        throw new Error(`${method} ${pathname} failed; the platform printed:\n${running?.output() ?? ''}`, {
          cause: error,
        });
      });
      return (await res.json()) as Record<string, unknown>;
    };
    const dataset = await api('POST', '/datasets', { name: 'crash test', modality: 'tabular' });
    const created = await api('POST', `/datasets/${String(dataset['id'])}/versions`, {
      fileName: 'big.csv',
      contentType: 'text/csv',
      sizeBytes: bytes.byteLength,
    });
    const upload = created['upload'] as { url: string; fields: Record<string, string>; fileField: string };
    const form = new FormData();
    for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
    form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), 'big.csv');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);

    const versionPath = `/datasets/${String(dataset['id'])}/versions/1`;
    const during = await until(
      'ingestion to start',
      async () => {
        const body = await api('GET', versionPath);
        return body['status'] === 'validating' || body['status'] === 'validated' ? body : undefined;
      },
      60_000,
      10,
    );
    await stop(running, 'SIGKILL');
    running = undefined;
    // The kill landed while the worker was at it (the file is large enough for that).
    expect(during['status']).toBe('validating');

    running = await startPlatform(dataDir);
    const after = await until(
      'the version to finish after the restart',
      async () => {
        const res = await fetch(`${running?.url}${versionPath}`, { headers: user.authHeader });
        const body = (await res.json()) as Record<string, unknown>;
        return body['status'] === 'validated' || body['status'] === 'failed' ? body : undefined;
      },
      120_000,
      200,
    );
    expect(after['validationErrors'] ?? null).toBeNull();
    expect(after).toMatchObject({ status: 'validated', rowCount: ROWS, columnCount: 6 });
  });
});
