/** Business and operational metrics. Powertools (CloudWatch EMF) in AWS, an in-memory recorder locally. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Bytes' | 'Percent' | 'None';

export interface Metrics {
  add(name: string, value: number, unit?: MetricUnit, dimensions?: Record<string, string>): void;
  /** Writes buffered metrics (EMF) — called by the handler wrapper at the end of an invocation. */
  flush(): void;
}

export function inMemoryMetrics(): Metrics & {
  readonly recorded: { name: string; value: number; unit: MetricUnit; dimensions: Record<string, string> }[];
} {
  const recorded: { name: string; value: number; unit: MetricUnit; dimensions: Record<string, string> }[] =
    [];
  return {
    recorded,
    add: (name, value, unit = 'Count', dimensions = {}) => {
      recorded.push({ name, value, unit, dimensions });
      if (recorded.length > 10_000) recorded.splice(0, recorded.length - 10_000);
    },
    flush: () => {},
  };
}
