import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger';

/** Scratch directories a pipeline node (`pw-node-…`), an ingestion message (`pw-ingest-…`) or an export (`pw-export-…`) works in. */
export const NODE_SCRATCH_PREFIX = 'pw-node-';
export const INGEST_SCRATCH_PREFIX = 'pw-ingest-';
export const EXPORT_SCRATCH_PREFIX = 'pw-export-';
const SCRATCH_PREFIXES = [NODE_SCRATCH_PREFIX, INGEST_SCRATCH_PREFIX, EXPORT_SCRATCH_PREFIX];

/**
 * Removes scratch directories under `root` last changed before `before`. Each unit of work
 * removes its own directory when it ends, but an invocation that Lambda stopped at its timeout
 * never runs that `finally`, and /tmp outlives it: the next invocation of the same environment
 * finds it full. Only hosts that run one invocation at a time per process (Lambda, a Fargate
 * task) may call this with their invocation's start; anywhere else a directory in use by a
 * concurrent invocation would look like a leftover. Returns the names removed.
 */
export async function removeLeftoverScratch(root: string, before: Date, logger?: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!SCRATCH_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    const path = join(root, name);
    try {
      const info = await stat(path);
      if (!info.isDirectory() || info.mtimeMs >= before.getTime()) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    } catch (error) {
      // Gone already, or not ours to remove: the work ahead does not depend on it.
      logger?.warn('could not remove a leftover scratch directory', { path, error });
    }
  }
  if (removed.length > 0)
    logger?.info('removed scratch directories left by an earlier invocation', { removed });
  return removed;
}
