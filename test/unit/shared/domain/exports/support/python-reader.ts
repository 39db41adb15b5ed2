import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * scripts/export-readers/read-export.py, run by the system Python when it can import NumPy (CI
 * installs Debian's python3-numpy): the arrays through numpy.load, the TFRecords through a reader
 * of its own. Without NumPy the tests that use it do not run; the TypeScript readers always do.
 */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = path.resolve(import.meta.dirname, '../../../../../../scripts/export-readers/read-export.py');

export const numpyImportable = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

export function readExportWithPython(kind: 'pytorch' | 'tensorflow', outDir: string): unknown {
  const run = spawnSync(PYTHON, [SCRIPT, kind, outDir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`read-export.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}
