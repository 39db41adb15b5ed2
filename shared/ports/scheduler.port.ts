/**
 * One-off and recurring schedules owned by the product (e.g. a dataset's refresh). EventBridge
 * Scheduler in AWS; a local ticker on one machine. Fixed platform schedules (sweepers) are
 * declared in infrastructure, not through this port.
 */
export interface ScheduleRequest {
  /** Unique name, e.g. `dataset-refresh-{datasetId}`. */
  name: string;
  /** `rate(1 hour)`, `cron(0 3 * * ? *)` or `at(2026-01-01T00:00:00)`. */
  expression: string;
  timezone?: string;
  /** Delivered to the scheduled handler as the event detail. */
  payload: Record<string, unknown>;
  enabled?: boolean;
}

export interface Scheduler {
  upsertSchedule(request: ScheduleRequest): Promise<void>;
  deleteSchedule(name: string): Promise<void>;
  getSchedule(name: string): Promise<ScheduleRequest | undefined>;
}
