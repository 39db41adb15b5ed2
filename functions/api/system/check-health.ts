import type { Logger } from '../../../shared/observability/logger';
import { boundedReport } from '../../../shared/health/timed-check';
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

/**
 * Runs every check in parallel, each bounded by `timeoutMs` so one hung dependency cannot hang
 * the report (`boundedReport`: a check that throws or times out is `down` with a safe reason;
 * why goes to the log, not the answer).
 */
export async function checkHealth(
  checks: readonly HealthCheck[],
  options: { timeoutMs: number; logger?: Pick<Logger, 'warn'> },
): Promise<HealthSummary> {
  const results = await Promise.all(
    checks.map(async (check): Promise<[string, ComponentHealth]> => {
      const report = await boundedReport(check.name, () => check.check(), options);
      return [
        check.name,
        {
          status: report.status,
          ...(report.detail ? { detail: report.detail } : {}),
          latencyMs: report.latencyMs ?? 0,
        },
      ];
    }),
  );
  const components = Object.fromEntries(results);
  const allUp = results.every(([, health]) => health.status === 'up');
  return { status: allUp ? 'ok' : 'degraded', components };
}
