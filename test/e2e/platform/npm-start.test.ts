import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` exactly as a newcomer runs it: a child process, a printed URL, Ctrl-C to stop,
 * and the same command again finds the data it left.
 */

const root = path.resolve(import.meta.dirname, '../../..');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves when every process of the tree has closed its output (npm itself may die of the signal first). */
  closed: Promise<void>;
}

async function npmStart(dataDir: string): Promise<Started> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, PW_DATA_DIR: dataDir, PW_HTTP_PORT: '0', PW_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a signal reaches npm and its children like a terminal's Ctrl-C.
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no URL printed within 120 s:\n${text}`)), 120_000);
    const look = () => {
      const match = /PipeWeave is running at (http:\/\/\S+)/.exec(text);
      if (match?.[1] && text.includes('Press Ctrl-C to stop')) {
        clearTimeout(deadline);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void closed.then(() => {
      clearTimeout(deadline);
      reject(new Error(`npm start ended before printing a URL:\n${text}`));
    });
  });
  return { child, url, output: () => text, closed };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function ctrlC(started: Started): Promise<void> {
  if (started.child.pid) process.kill(-started.child.pid, 'SIGINT');
  await started.closed;
}

describe('npm start', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pipeweave-start-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the URL, serves health and docs, stops on Ctrl-C and keeps the data across restarts', async () => {
    const first = await npmStart(dataDir);
    let info: { databaseUrl: string; s3Endpoint: string; bucket: string };
    try {
      expect(first.output()).toContain(`${first.url}/docs`);
      expect(first.output()).toMatch(/Try next:/);

      const health = await fetch(`${first.url}/health`);
      expect(health.status).toBe(200);
      const report = (await health.json()) as {
        status: string;
        components: Record<string, { status: string }>;
      };
      expect(report.status).toBe('ok');
      expect(Object.keys(report.components).sort()).toEqual([
        'database',
        'orchestrator',
        'queues',
        'scheduler',
        'storage',
      ]);
      for (const component of Object.values(report.components)) expect(component.status).toBe('up');

      const docs = await fetch(`${first.url}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
      const openapi = (await (await fetch(`${first.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: object;
      };
      expect(openapi.openapi).toMatch(/^3\.1/);
      expect(Object.keys(openapi.paths)).toContain('/health');

      // Leave something behind in the database and in the object store.
      info = JSON.parse(await readFile(path.join(dataDir, 'runtime.json'), 'utf8')) as typeof info;
      const client = new pg.Client({ connectionString: info.databaseUrl });
      await client.connect();
      await client.query(
        `insert into tutorials (slug, title, content, difficulty) values ('kept', 'Kept across restarts', '[]', 'beginner')`,
      );
      await client.end();
      await s3(info.s3Endpoint).send(
        new PutObjectCommand({ Bucket: info.bucket, Key: 'exports/kept.txt', Body: 'still here' }),
      );
    } finally {
      await ctrlC(first);
    }
    expect(first.output()).toContain('Stopped.');
    // Everything it started is gone: the API no longer answers.
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    const second = await npmStart(dataDir);
    try {
      const again = JSON.parse(await readFile(path.join(dataDir, 'runtime.json'), 'utf8')) as typeof info;
      const client = new pg.Client({ connectionString: again.databaseUrl });
      await client.connect();
      const { rows } = await client.query<{ title: string }>(
        `select title from tutorials where slug = 'kept'`,
      );
      await client.end();
      expect(rows.map((r) => r.title)).toEqual(['Kept across restarts']);
      const object = await s3(again.s3Endpoint).send(
        new GetObjectCommand({ Bucket: again.bucket, Key: 'exports/kept.txt' }),
      );
      expect(await object.Body?.transformToString()).toBe('still here');
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
    } finally {
      await ctrlC(second);
    }
    expect(second.output()).toContain('Stopped.');
  });
});

function s3(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}
