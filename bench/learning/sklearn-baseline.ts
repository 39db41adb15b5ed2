import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LearnerKey, SklearnParams } from './cases';

/**
 * Runs bench/learning/sklearn_baseline.py in a Python process of its own, single-threaded:
 * OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1, and without OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE (set for other tools on some machines; they would pin OpenBLAS's kernels).
 * Only that child's environment changes.
 */
const SCRIPT = fileURLToPath(new URL('./sklearn_baseline.py', import.meta.url));

export interface SklearnVersions {
  python: string;
  sklearn: string;
  numpy: string;
}

export interface SklearnFitResult {
  fitMs: number[];
  testAccuracy: number | null;
  inertiaPerRow: number | null;
  threadpools: { api: string; threads: number }[];
}

export interface SklearnRequest {
  dataDir: string;
  learner: LearnerKey;
  rows: number;
  repetitions: number;
  params: SklearnParams;
}

export function pythonEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENBLAS_CORETYPE: _coreType, OPENBLAS_L2_SIZE: _l2Size, ...rest } = base;
  return { ...rest, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
}

/** The versions, or why scikit-learn cannot run (no Python, no scikit-learn, …). */
export async function probeSklearn(
  python: string,
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; versions: SklearnVersions } | { ok: false; reason: string }> {
  try {
    const output = await runPython(python, ['--versions'], env, () => undefined);
    const parsed: unknown = JSON.parse(output);
    if (!isVersions(parsed)) return { ok: false, reason: `unexpected answer from ${python}: ${output}` };
    return { ok: true, versions: parsed };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function measureSklearn(
  python: string,
  env: NodeJS.ProcessEnv,
  request: SklearnRequest,
  onChild: (child: ChildProcess | undefined) => void,
): Promise<SklearnFitResult> {
  const output = await runPython(python, [JSON.stringify(request)], env, onChild);
  const parsed: unknown = JSON.parse(output);
  if (!isFitResult(parsed)) throw new Error(`unexpected answer from the scikit-learn baseline: ${output}`);
  return parsed;
}

function runPython(
  python: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onChild: (child: ChildProcess | undefined) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    onChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      onChild(undefined);
      reject(new Error(`${python}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      onChild(undefined);
      if (code === 0) {
        resolve(stdout.trim().split('\n').at(-1) ?? '');
        return;
      }
      const lastLine = stderr.trim().split('\n').at(-1);
      reject(
        new Error(
          `${python} ended with ${signal ? `signal ${signal}` : `exit code ${code}`}${lastLine ? `: ${lastLine}` : ''}`,
        ),
      );
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isVersions(value: unknown): value is SklearnVersions {
  return (
    isRecord(value) &&
    typeof value['python'] === 'string' &&
    typeof value['sklearn'] === 'string' &&
    typeof value['numpy'] === 'string'
  );
}

function isFitResult(value: unknown): value is SklearnFitResult {
  return (
    isRecord(value) &&
    Array.isArray(value['fitMs']) &&
    value['fitMs'].every((ms) => typeof ms === 'number') &&
    (value['testAccuracy'] === null || typeof value['testAccuracy'] === 'number') &&
    (value['inertiaPerRow'] === null || typeof value['inertiaPerRow'] === 'number') &&
    Array.isArray(value['threadpools'])
  );
}
