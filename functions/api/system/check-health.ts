import type { Logger } from '../../../shared/observability/logger';
import type { HealthCheck } from '../../../shared/ports/health.port';

export interface ComponentHealth {
  status: 'up' | 'down';
  detail?: string;
  latencyMs: number;
}

export interface HealthSummary {
  status: 'ok' | 'degraded';
  components: Record<string, ComponentHealth>;
}

class HealthCheckTimeout extends Error {
  override name = 'HealthCheckTimeout';
}

/**
 * Runs every check in parallel, each bounded by `timeoutMs` so one hung dependency cannot hang
 * the report. A check that throws or times out is `down`; why goes to the log, not the answer.
 */
export async function checkHealth(
  checks: readonly HealthCheck[],
  options: { timeoutMs: number; logger?: Pick<Logger, 'warn'> },
): Promise<HealthSummary> {
  const results = await Promise.all(
    checks.map(async (check): Promise<[string, ComponentHealth]> => {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new HealthCheckTimeout()), options.timeoutMs);
        });
        const report = await Promise.race([check.check(), timeout]);
        return [
          check.name,
          {
            status: report.status,
            ...(report.detail ? { detail: report.detail } : {}),
            latencyMs: report.latencyMs ?? elapsed(),
          },
        ];
      } catch (error) {
        const timedOut = error instanceof HealthCheckTimeout;
        options.logger?.warn('health check failed', { component: check.name, error });
        return [
          check.name,
          {
            status: 'down',
            detail: timedOut ? `no answer within ${options.timeoutMs} ms` : 'check failed',
            latencyMs: elapsed(),
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const components = Object.fromEntries(results);
  const allUp = results.every(([, health]) => health.status === 'up');
  return { status: allUp ? 'ok' : 'degraded', components };
}
