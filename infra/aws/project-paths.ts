import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: CDK resolves every handler entry, the ASL files and the Dockerfile from here. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class MissingEntryError extends Error {
  override name = 'MissingEntryError';
}

/**
 * Absolute path of a file the infrastructure depends on (a handler entry, an ASL file). The stacks
 * list their entries explicitly; a missing one is a synth error naming the file instead of a
 * function silently left out of the deployment.
 */
export function requireProjectFile(path: string, purpose: string): string {
  const absolute = isAbsolute(path) ? path : join(projectRoot, path);
  if (!existsSync(absolute)) {
    throw new MissingEntryError(
      `PipeWeave infrastructure needs ${relative(projectRoot, absolute)} (${purpose}), but the file does not exist.`,
    );
  }
  return absolute;
}
