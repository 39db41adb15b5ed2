import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';

/**
 * The README's curl walk through, run verbatim against the local platform: if a newcomer's copy
 * and paste would break, this breaks first.
 */

const root = path.resolve(import.meta.dirname, '../../..');

async function walkthroughScript(): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A walk through with curl'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const script = blocks.find((block) => block.includes('json()'));
  if (!script) throw new Error('README.md has no walk-through block defining json()');
  return script;
}

function runBash(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the walk through did not finish within 120 s:\n${output}`));
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    });
  });
}

describe('README walk through', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let workDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pipeweave-readme-'));
    workDir = await mkdtemp(path.join(tmpdir(), 'pipeweave-readme-cwd-'));
    platform = await startLocalPlatform({
      dataDir,
      port: 0,
      env: { ...process.env, PW_LOG_LEVEL: 'SILENT' },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  it('runs from account to completed job exactly as written', async () => {
    const { code, output } = await runBash(await walkthroughScript(), { API: platform.url }, workDir);
    expect(code, output).toBe(0);
    expect(output).toContain('validated, 6 rows');
    expect(output).toContain('species: categorical');
    expect(output).toContain('completed 100%');
    expect(output).toMatch(/split: success/);
    expect(output).toMatch(/automl: success/);
    expect(output).toMatch(/^1\. [a-z_]+ ok$/m);
    expect(output).toMatch(/model [a-z_]+, test accuracy (0|1)/);
    // What the run cost: reserved up front, used by the finished nodes, the rest given back.
    const cost = /reserved (\d+), used (\d+), refunded (\d+)/.exec(output);
    expect(cost, output).not.toBeNull();
    const [reserved, used, refunded] = (cost ?? []).slice(1).map(Number);
    expect(used).toBeGreaterThan(0);
    expect((used ?? 0) + (refunded ?? 0)).toBe(reserved);
    expect(output).toMatch(/^automl: \d+(\.\d+)? s on lambda$/m);
    expect(output).toMatch(new RegExp(`^balance ${1_000 - (used ?? 0)} credits$`, 'm'));
    expect(output).toContain('"field":"body.role"');
    expect(output).toMatch(/"key":"pw_/);
  });
});
