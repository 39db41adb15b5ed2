import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLeftoverScratch } from '../../../../shared/runtime/leftover-scratch';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pw-scratch-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A directory with a file in it, last changed at `at`. */
async function scratch(name: string, at: Date): Promise<void> {
  const dir = path.join(root, name);
  await mkdir(path.join(dir, 'spill'), { recursive: true });
  await writeFile(path.join(dir, 'raw'), 'data');
  await utimes(dir, at, at);
}

describe('removeLeftoverScratch', () => {
  it('removes node and ingestion scratch directories from before the invocation, and nothing else', async () => {
    const invocationStart = new Date();
    const hourAgo = new Date(invocationStart.getTime() - 3600_000);
    const later = new Date(invocationStart.getTime() + 1000);
    await scratch('pw-node-timedout', hourAgo);
    await scratch('pw-ingest-timedout', hourAgo);
    await scratch('pw-node-current', later);
    await scratch('other-tool-cache', hourAgo);
    await writeFile(path.join(root, 'pw-node-a-file'), 'not a directory');
    await utimes(path.join(root, 'pw-node-a-file'), hourAgo, hourAgo);

    const removed = await removeLeftoverScratch(root, invocationStart);

    expect(removed.sort()).toEqual(['pw-ingest-timedout', 'pw-node-timedout']);
    expect((await readdir(root)).sort()).toEqual(['other-tool-cache', 'pw-node-a-file', 'pw-node-current']);
  });

  it('does nothing when the root does not exist', async () => {
    expect(await removeLeftoverScratch(path.join(root, 'missing'), new Date())).toEqual([]);
  });
});
