import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

/**
 * bench/results/latest.json: the figures of the last run, one section per benchmark. A run of one
 * benchmark (`--only`) replaces its own section and keeps the others, each stamped with when and
 * where it was measured.
 */
export const RESULTS_PATH = fileURLToPath(new URL('./results/latest.json', import.meta.url));

export async function writeResults(sections: Record<string, unknown>): Promise<void> {
  const previous = await readFile(RESULTS_PATH, 'utf8')
    .then((text): unknown => JSON.parse(text))
    .catch(() => undefined);
  const kept = typeof previous === 'object' && previous !== null ? previous : {};
  const measuredOn = {
    measuredAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
  };
  // The file as a whole says when and where it was last written; each section says its own.
  const machine = {
    ...measuredOn,
    machine: {
      os: `${platform()} ${release()} ${arch()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      memoryBytes: totalmem(),
      // Others share this machine: the load when the run ended says how noisy it was.
      loadAverage1m: loadavg()[0] ?? null,
    },
  };
  const stamped = Object.fromEntries(
    Object.entries(sections).map(([name, section]) => [name, { ...measuredOn, ...asObject(section) }]),
  );
  await mkdir(dirname(RESULTS_PATH), { recursive: true });
  // Written beside and renamed, so an interrupted run never leaves half a file.
  const partial = `${RESULTS_PATH}.partial`;
  // In the repository's own style, so `npm run lint` passes with the file present.
  const style = (await resolveConfig(RESULTS_PATH)) ?? {};
  await writeFile(
    partial,
    await format(JSON.stringify({ ...kept, ...machine, ...stamped }), { ...style, parser: 'json' }),
  );
  await rename(partial, RESULTS_PATH);
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : { value };
}
