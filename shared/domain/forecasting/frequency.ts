/**
 * The sampling frequency of a series, inferred from its timestamps (epoch milliseconds, UTC):
 * calendar steps (months, quarters, years) are recognised by the calendar, not by a number of
 * seconds, so that a monthly series is regular although its months differ in length.
 */

export type CalendarUnit = 'month' | 'quarter' | 'year';

export interface Frequency {
  /** Name shown to users: second, minute, hourly, daily, weekly, monthly, quarterly, yearly or e.g. "15 minutes". */
  name: string;
  /** Calendar step, or a fixed step in milliseconds. */
  step: { unit: CalendarUnit; count: number } | { unit: 'ms'; count: number };
  /** Observations per seasonal cycle (1 when the frequency has no usual season). */
  seasonalPeriod: number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const FIXED: readonly { ms: number; name: string; period: number }[] = [
  { ms: SECOND, name: 'second', period: 60 },
  { ms: MINUTE, name: 'minute', period: 60 },
  { ms: HOUR, name: 'hourly', period: 24 },
  { ms: DAY, name: 'daily', period: 7 },
  { ms: 7 * DAY, name: 'weekly', period: 52 },
];

/** Whole calendar months from `a` to `b` when both sit on the same day and time of month; else null. */
export function monthsBetween(a: number, b: number): number | null {
  const da = new Date(a);
  const db = new Date(b);
  const months = (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + db.getUTCMonth() - da.getUTCMonth();
  if (addMonths(a, months) === b) return months;
  // Month ends (31 Jan, 29 Feb, 31 Mar…) at the same time of day.
  const sameTime = a % DAY === b % DAY;
  return sameTime && isMonthEnd(da) && isMonthEnd(db) ? months : null;
}

function isMonthEnd(d: Date): boolean {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() === d.getUTCDate();
}

/** `t` moved by `months` calendar months (the day clamped to the month's last day). */
export function addMonths(t: number, months: number): number {
  const d = new Date(t);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.getTime();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

const MONTHS_OF: Record<CalendarUnit, number> = { month: 1, quarter: 3, year: 12 };

/** Steps of `frequency` from `a` to `b`: an integer when `b` is on the grid started at `a`, else fractional. */
export function stepsBetween(frequency: Frequency, a: number, b: number): number {
  const { step } = frequency;
  if (step.unit === 'ms') return (b - a) / step.count;
  const months = monthsBetween(a, b);
  const span = MONTHS_OF[step.unit] * step.count;
  if (months !== null) return months / span;
  // Off the calendar grid: an approximate fraction that is never an integer by accident.
  return (b - a) / (span * 30.436875 * DAY) + 1e-6;
}

/** The timestamp `steps` steps after `t`. */
export function addSteps(frequency: Frequency, t: number, steps: number): number {
  const { step } = frequency;
  if (step.unit === 'ms') return t + steps * step.count;
  return addMonths(t, steps * step.count * MONTHS_OF[step.unit]);
}

/**
 * Infers the frequency from sorted, distinct timestamps: the calendar step most gaps are a whole
 * multiple of (months, quarters, years), else the median gap rounded to a familiar unit. Null with
 * fewer than two timestamps.
 */
export function inferFrequency(times: ArrayLike<number>): Frequency | null {
  const diffs: number[] = [];
  const monthDiffs: (number | null)[] = [];
  for (let i = 1; i < times.length; i += 1) {
    const a = times[i - 1] ?? NaN;
    const b = times[i] ?? NaN;
    if (!(b > a)) continue;
    diffs.push(b - a);
    monthDiffs.push(monthsBetween(a, b));
  }
  if (diffs.length === 0) return null;
  const onCalendar = monthDiffs.filter((m): m is number => m !== null && m > 0);
  if (onCalendar.length >= 0.9 * diffs.length) {
    const step = median(onCalendar);
    if (step === 12) return { name: 'yearly', step: { unit: 'year', count: 1 }, seasonalPeriod: 1 };
    if (step === 3) return { name: 'quarterly', step: { unit: 'quarter', count: 1 }, seasonalPeriod: 4 };
    if (step === 1) return { name: 'monthly', step: { unit: 'month', count: 1 }, seasonalPeriod: 12 };
    if (Number.isInteger(step))
      return { name: `${step} months`, step: { unit: 'month', count: step }, seasonalPeriod: 1 };
  }
  const gap = median(diffs);
  for (const fixed of FIXED)
    if (Math.abs(gap - fixed.ms) <= fixed.ms * 0.01)
      return { name: fixed.name, step: { unit: 'ms', count: fixed.ms }, seasonalPeriod: fixed.period };
  return { name: describeMs(gap), step: { unit: 'ms', count: gap }, seasonalPeriod: seasonalPeriodOf(gap) };
}

function seasonalPeriodOf(gapMs: number): number {
  // A day is the natural cycle of sub-daily data; a week of daily-ish data.
  if (gapMs < DAY && DAY % gapMs === 0) return DAY / gapMs;
  return 1;
}

function describeMs(ms: number): string {
  const units: [number, string][] = [
    [DAY, 'days'],
    [HOUR, 'hours'],
    [MINUTE, 'minutes'],
    [SECOND, 'seconds'],
  ];
  for (const [size, name] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${name}`;
  return `${Math.round(ms)} ms`;
}
