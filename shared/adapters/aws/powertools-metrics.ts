import { Metrics as PowertoolsMetricsClient, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Config } from '../../config/config';
import type { MetricUnit as PortMetricUnit, Metrics } from '../../observability/metrics.port';

export const METRICS_NAMESPACE = 'PipeWeave';

const UNITS: Record<PortMetricUnit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Bytes: MetricUnit.Bytes,
  Percent: MetricUnit.Percent,
  None: MetricUnit.NoUnit,
};

/**
 * The metrics port as CloudWatch embedded metric format (EMF) lines on stdout, written by
 * Powertools. Metrics without their own dimensions are buffered and written by `flush()` at the
 * end of an invocation; a metric with dimensions is written at once as its own EMF document,
 * because an EMF document carries one dimension set for all of its metrics.
 */
export class PowertoolsMetrics implements Metrics {
  readonly #metrics: PowertoolsMetricsClient;

  constructor(config: Pick<Config, 'serviceName'>, client?: PowertoolsMetricsClient) {
    this.#metrics =
      client ??
      new PowertoolsMetricsClient({ namespace: METRICS_NAMESPACE, serviceName: config.serviceName });
  }

  add(
    name: string,
    value: number,
    unit: PortMetricUnit = 'Count',
    dimensions: Record<string, string> = {},
  ): void {
    if (Object.keys(dimensions).length === 0) {
      this.#metrics.addMetric(name, UNITS[unit], value);
      return;
    }
    const single = this.#metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, UNITS[unit], value);
  }

  flush(): void {
    // Publishing an empty buffer only logs a warning: skip it.
    if (this.#metrics.hasStoredMetrics()) this.#metrics.publishStoredMetrics();
  }
}
