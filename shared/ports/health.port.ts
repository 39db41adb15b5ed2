/** A component that `GET /health` reports on (database, object store, queues, orchestrator, scheduler). */
export interface HealthReport {
  status: 'up' | 'down';
  /** Short, safe detail (never credentials): e.g. `postgres 16.14`, `7 queues, 0 in flight`. */
  detail?: string;
  latencyMs?: number;
}

export interface HealthCheck {
  name: string;
  check(): Promise<HealthReport>;
}
