import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { Logger } from '../../shared/observability/logger';
import { systemClock, type Clock } from '../../shared/kernel/clock.port';
import type { ScheduleRequest, Scheduler } from '../../shared/ports/scheduler.port';
import {
  eventBridgeTime,
  nextFireTime,
  parseScheduleExpression,
  type ParsedSchedule,
} from '../../shared/domain/datasets/refresh/schedule-expression';

/**
 * The local stand-in for EventBridge rules (fixed platform schedules such as sweepers) and
 * EventBridge Scheduler (product schedules such as a dataset's refresh). Each firing calls the
 * handler with the same `ScheduledEvent` shape AWS delivers. Time comes from the injected clock;
 * a timer only wakes the ticker at the next due instant (re-checked at least every `maxSleepMs`,
 * so a test clock that jumps is noticed), and `runDue()` fires whatever is due right now.
 */
export type ScheduledHandler = (event: ScheduledEvent<Record<string, unknown>>) => Promise<void>;

export interface LocalSchedulerOptions {
  /** Receives the firings of schedules created through the `Scheduler` port. */
  onProductSchedule?: ScheduledHandler;
  clock?: Clock;
  logger?: Pick<Logger, 'error' | 'info'>;
  region?: string;
  account?: string;
  /** Scheduler group name used in the schedule ARNs (`default` like AWS). */
  group?: string;
  maxSleepMs?: number;
}

interface Entry {
  name: string;
  kind: 'fixed' | 'product';
  expression: string;
  parsed: ParsedSchedule;
  timezone: string | undefined;
  payload: Record<string, unknown>;
  enabled: boolean;
  anchor: Date;
  nextAt: Date | undefined;
  handler: ScheduledHandler | undefined;
  request?: ScheduleRequest;
}

export interface FiredSchedule {
  name: string;
  at: Date;
}

export class LocalScheduler implements Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly region: string;
  private readonly account: string;
  private readonly group: string;
  private readonly maxSleepMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly options: LocalSchedulerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.group = options.group ?? 'default';
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
  }

  /** A platform schedule declared by infrastructure (an EventBridge rule in AWS). */
  addFixedSchedule(
    name: string,
    expression: string,
    handler: ScheduledHandler,
    options: { timezone?: string } = {},
  ): void {
    if (this.entries.has(name)) throw new Error(`A schedule named "${name}" already exists.`);
    this.entries.set(name, this.makeEntry(name, 'fixed', expression, options.timezone, {}, true, handler));
    this.rearm();
  }

  async upsertSchedule(request: ScheduleRequest): Promise<void> {
    const existing = this.entries.get(request.name);
    if (existing?.kind === 'fixed')
      throw new Error(`"${request.name}" is a platform schedule and cannot be changed.`);
    const entry = this.makeEntry(
      request.name,
      'product',
      request.expression,
      request.timezone,
      request.payload,
      request.enabled ?? true,
      undefined,
    );
    entry.request = structuredClone(request);
    this.entries.set(request.name, entry);
    this.rearm();
  }

  async deleteSchedule(name: string): Promise<void> {
    const existing = this.entries.get(name);
    if (existing?.kind === 'product') this.entries.delete(name);
    this.rearm();
  }

  async getSchedule(name: string): Promise<ScheduleRequest | undefined> {
    const entry = this.entries.get(name);
    return entry?.request ? structuredClone(entry.request) : undefined;
  }

  /** When each enabled schedule fires next (for health and tests). */
  upcoming(): { name: string; nextAt: Date }[] {
    return [...this.entries.values()]
      .filter((e): e is Entry & { nextAt: Date } => e.enabled && e.nextAt !== undefined)
      .map((e) => ({ name: e.name, nextAt: new Date(e.nextAt) }))
      .sort((a, b) => a.nextAt.getTime() - b.nextAt.getTime() || a.name.localeCompare(b.name));
  }

  /** Starts the timer-driven ticker. */
  start(): void {
    this.running = true;
    this.rearm();
  }

  /**
   * Fires every schedule due at the clock's current time (once each, even if several periods
   * were missed: the next firing is computed from now) and resolves when their handlers finish.
   */
  async runDue(): Promise<FiredSchedule[]> {
    const now = this.clock.now();
    const fired: FiredSchedule[] = [];
    const runs: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (!entry.enabled || entry.nextAt === undefined || entry.nextAt.getTime() > now.getTime()) continue;
      const at = entry.nextAt;
      entry.nextAt = nextFireTime(entry.parsed, now, this.fireOptions(entry));
      fired.push({ name: entry.name, at });
      runs.push(this.fire(entry, at));
    }
    this.rearm();
    await Promise.all(runs);
    return fired;
  }

  /** Stops the ticker and waits for handlers that are still running. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private makeEntry(
    name: string,
    kind: Entry['kind'],
    expression: string,
    timezone: string | undefined,
    payload: Record<string, unknown>,
    enabled: boolean,
    handler: ScheduledHandler | undefined,
  ): Entry {
    const parsed = parseScheduleExpression(expression);
    const anchor = this.clock.now();
    const entry: Entry = {
      name,
      kind,
      expression,
      parsed,
      timezone,
      payload,
      enabled,
      anchor,
      nextAt: undefined,
      handler,
    };
    entry.nextAt = nextFireTime(parsed, anchor, this.fireOptions(entry));
    return entry;
  }

  private fireOptions(entry: Entry): { anchor: Date; timezone?: string } {
    return entry.timezone ? { anchor: entry.anchor, timezone: entry.timezone } : { anchor: entry.anchor };
  }

  private fire(entry: Entry, at: Date): Promise<void> {
    const handler = entry.kind === 'fixed' ? entry.handler : this.options.onProductSchedule;
    const event = this.eventFor(entry, at);
    const run = (async () => {
      if (!handler) {
        this.options.logger?.info('Schedule fired with no handler attached', { schedule: entry.name });
        return;
      }
      try {
        await handler(event);
      } catch (error) {
        // A failing handler must not stop the ticker: log it like a failed async invocation.
        this.options.logger?.error('Scheduled handler failed', { schedule: entry.name, error });
      }
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  private eventFor(entry: Entry, at: Date): ScheduledEvent<Record<string, unknown>> {
    const fixed = entry.kind === 'fixed';
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: fixed ? 'aws.events' : 'aws.scheduler',
      account: this.account,
      time: eventBridgeTime(at),
      region: this.region,
      resources: [
        fixed
          ? `arn:aws:events:${this.region}:${this.account}:rule/${entry.name}`
          : `arn:aws:scheduler:${this.region}:${this.account}:schedule/${this.group}/${entry.name}`,
      ],
      detail: structuredClone(entry.payload),
    };
  }

  private rearm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const next = this.upcoming()[0];
    if (!next) return;
    const delay = Math.max(0, Math.min(next.nextAt.getTime() - this.clock.now().getTime(), this.maxSleepMs));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runDue().finally(() => this.rearm());
    }, delay);
    this.timer.unref();
  }
}
