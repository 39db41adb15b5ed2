import { ConfigError } from '../config/config';
import type { Logger } from '../observability/logger';
import type { HealthCheck, HealthReport } from '../ports/health.port';

/**
 * The one way a health check is bounded and answered. `GET /health` is public: a check that
 * fails says only a short, safe reason (a timeout, a `HealthFailure`'s own words, or the error's
 * class name such as `DatabaseResumingException`); the real error goes to the log.
 */

/** A failure whose message is meant for the health report (no hosts, paths or credentials). */
export class HealthFailure extends Error {
  override name = 'HealthFailure';
}

export interface TimedCheckOptions {
  timeoutMs: number;
  logger?: Pick<Logger, 'warn'> | undefined;
}

/** What a failed check may say publicly about `error`. */
export function safeReason(error: unknown): string {
  // Configuration messages name the missing variable, never its value.
  if (error instanceof HealthFailure || error instanceof ConfigError) return error.message;
  if (error instanceof Error && error.name && !/^(Type|Range|Reference|Syntax)?Error$/.test(error.name))
    return error.name;
  return 'check failed';
}

/**
 * Runs `run` bounded by `timeoutMs` (its signal aborts then): the report it gives, or `down` with
 * a safe reason when it throws or does not answer in time. Never throws, never hangs.
 */
export async function boundedReport(
  name: string,
  run: (signal: AbortSignal) => Promise<HealthReport>,
  options: TimedCheckOptions,
): Promise<HealthReport> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, options.timeoutMs);
  });
  try {
    const report = await Promise.race([run(controller.signal), timedOut]);
    if (report === 'timeout') {
      options.logger?.warn('health check timed out', { component: name, timeoutMs: options.timeoutMs });
      return { status: 'down', detail: `no answer within ${options.timeoutMs} ms`, latencyMs: elapsed() };
    }
    return { ...report, latencyMs: report.latencyMs ?? elapsed() };
  } catch (error) {
    options.logger?.warn('health check failed', { component: name, error });
    const detail = controller.signal.aborted ? `no answer within ${options.timeoutMs} ms` : safeReason(error);
    return { status: 'down', detail, latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

/** A check from a probe that answers a short, safe detail when the component is up (and throws when not). */
export function timedCheck(
  name: string,
  probe: (signal: AbortSignal) => Promise<string>,
  options: TimedCheckOptions,
): HealthCheck {
  return {
    name,
    check: () =>
      boundedReport(name, async (signal) => ({ status: 'up', detail: await probe(signal) }), options),
  };
}
