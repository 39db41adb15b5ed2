import type { PredictTarget } from './prediction-server';

/**
 * A small load generator: `connections` loops, each sending its next request once the previous
 * answer is read in full (so at most that many requests are in flight, over as many kept-alive
 * connections of fetch's pool), until the duration is up or the request budget is spent. Bodies
 * are serialised beforehand and taken in turn. A request answered with anything but 200 ends the
 * run with an error: a benchmark of failing requests measures nothing.
 */
export interface LoadOptions {
  connections: number;
  /** Stop sending after this long … */
  durationMs?: number;
  /** … or after this many requests, whichever comes first. */
  requests?: number;
}

export interface LoadRun {
  requests: number;
  /** From the first request sent to the last answer read. */
  elapsedMs: number;
  /** Every request's latency (sent → answer read in full), sorted. */
  latenciesMs: Float64Array;
  /** CPU time this process spent meanwhile: what generating the load cost. */
  clientCpuMs: number;
}

export async function runLoad(
  target: PredictTarget,
  bodies: readonly string[],
  options: LoadOptions,
): Promise<LoadRun> {
  if (bodies.length === 0) throw new Error('no request bodies to send');
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const budget = options.requests ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  let lastAnswer = started;
  const connection = async (): Promise<void> => {
    while (sent < budget && performance.now() < deadline) {
      const body = bodies[sent % bodies.length] ?? '';
      sent += 1;
      const at = performance.now();
      await postPrediction(target, body);
      lastAnswer = performance.now();
      latencies.push(lastAnswer - at);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, connection));
  const used = process.cpuUsage(cpu);
  return {
    requests: latencies.length,
    elapsedMs: lastAnswer - started,
    latenciesMs: Float64Array.from(latencies).sort(),
    clientCpuMs: (used.user + used.system) / 1000,
  };
}

/** One prediction request; the answer's text, or an error naming the status and the answer. */
export async function postPrediction(target: PredictTarget, body: string): Promise<string> {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`POST ${target.url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Nearest-rank percentile of sorted values (q in 0…1). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
