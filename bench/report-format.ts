/** Statistics and formatting shared by the benchmarks' printed tables. */

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const middle = Math.floor(n / 2);
  const median =
    n === 0
      ? Number.NaN
      : n % 2 === 1
        ? (sorted[middle] ?? 0)
        : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { n, min: sorted[0] ?? Number.NaN, median, max: sorted[n - 1] ?? Number.NaN };
}

export function verdict(met: boolean): string {
  return met ? 'met' : 'MISSED';
}

export function milliseconds(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export const MiB = 2 ** 20;

export function mib(bytes: number, digits = 0): string {
  return `${(bytes / MiB).toFixed(digits)} MiB`;
}

export function count(value: number): string {
  return value.toLocaleString('en-US');
}

export function pad(text: string, width: number): string {
  return text.padEnd(width);
}

export function padStart(text: string, width: number): string {
  return text.padStart(width);
}

/** Measurements that failed: each printed with why as it happens, counted for the run's exit code. */
export class MeasurementFailures {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(what: string, error: unknown): void {
    this.#count += 1;
    console.log(`  ${what}: MEASUREMENT FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** `work`'s result, or null when it failed (then recorded). */
  async attempt<T>(what: string, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (error) {
      this.record(what, error);
      return null;
    }
  }
}
