import { ValidationError } from '../../../kernel/app-error';

/**
 * EventBridge schedule expressions, parsed and evaluated without any AWS call, so the local
 * ticker fires on the same instants AWS would and a refresh schedule's cadence can be checked
 * before it is accepted:
 * - `rate(value unit)`: unit `minute|hour|day` when value is 1, `minutes|hours|days` otherwise.
 * - `cron(minutes hours day-of-month month day-of-week year)`: `*`, `?`, ranges, lists and steps;
 *   months `1-12`/`JAN-DEC`, weekdays `1-7`/`SUN-SAT` (1 = Sunday); exactly one of day-of-month
 *   and day-of-week is `?`. `L`, `W` and `#` are rejected: nothing in the product needs them.
 * - `at(yyyy-mm-ddThh:mm:ss)`: once.
 * Cron and at are wall-clock times in `timezone` (UTC by default); rate counts from an anchor.
 */
export class ScheduleExpressionError extends ValidationError {
  constructor(expression: string, reason: string) {
    super(`Schedule expression "${expression}" is not valid: ${reason}`, {
      code: 'SCHEDULE.INVALID_EXPRESSION',
      field: 'expression',
    });
  }
}

export interface RateSchedule {
  kind: 'rate';
  expression: string;
  intervalMs: number;
}

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  /** Undefined when the field is `?` (the other day field decides). */
  daysOfMonth: ReadonlySet<number> | undefined;
  months: ReadonlySet<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge counts. Undefined when `?`. */
  daysOfWeek: ReadonlySet<number> | undefined;
  /** Undefined when `*` (every year). */
  years: ReadonlySet<number> | undefined;
}

export interface AtSchedule {
  kind: 'at';
  expression: string;
  /** Wall-clock fields, interpreted in the schedule's timezone. */
  wall: WallTime;
}

export type ParsedSchedule = RateSchedule | CronSchedule | AtSchedule;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const MINUTE_MS = 60_000;
const RATE_UNITS: Record<string, { ms: number; singular: boolean }> = {
  minute: { ms: MINUTE_MS, singular: true },
  minutes: { ms: MINUTE_MS, singular: false },
  hour: { ms: 60 * MINUTE_MS, singular: true },
  hours: { ms: 60 * MINUTE_MS, singular: false },
  day: { ms: 24 * 60 * MINUTE_MS, singular: true },
  days: { ms: 24 * 60 * MINUTE_MS, singular: false },
};
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

export function parseScheduleExpression(expression: string): ParsedSchedule {
  const text = expression.trim();
  const match = /^(rate|cron|at)\((.*)\)$/s.exec(text);
  if (!match) throw new ScheduleExpressionError(expression, 'expected rate(…), cron(…) or at(…).');
  const [, kind, body = ''] = match;
  if (kind === 'rate') return parseRate(expression, body.trim());
  if (kind === 'cron') return parseCron(expression, body.trim());
  return parseAt(expression, body.trim());
}

function parseRate(expression: string, body: string): RateSchedule {
  const match = /^(\d+)\s+([a-z]+)$/.exec(body);
  if (!match) throw new ScheduleExpressionError(expression, 'rate needs "value unit", e.g. rate(5 minutes).');
  const value = Number(match[1]);
  const unit = RATE_UNITS[match[2] ?? ''];
  if (!unit) throw new ScheduleExpressionError(expression, 'the unit must be minute(s), hour(s) or day(s).');
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleExpressionError(expression, 'the value must be a positive whole number.');
  }
  if ((value === 1) !== unit.singular) {
    throw new ScheduleExpressionError(
      expression,
      value === 1
        ? 'use the singular unit for 1 (e.g. rate(1 hour)).'
        : 'use the plural unit for values above 1.',
    );
  }
  return { kind: 'rate', expression, intervalMs: value * unit.ms };
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Offset applied to a name's index (JAN → 1, SUN → 1). */
  nameBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, nameBase: 1 },
  { name: 'year', min: MIN_YEAR, max: MAX_YEAR },
];

function parseCron(expression: string, body: string): CronSchedule {
  const parts = body.split(/\s+/).filter(Boolean);
  if (parts.length !== 6) {
    throw new ScheduleExpressionError(
      expression,
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}.`,
    );
  }
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be "?".');
  }
  const field = (value: string, index: number) =>
    parseCronField(expression, value, FIELDS[index] as FieldSpec);
  return {
    kind: 'cron',
    expression,
    minutes: field(minutes, 0),
    hours: field(hours, 1),
    daysOfMonth: dom === '?' ? undefined : field(dom, 2),
    months: field(month, 3),
    daysOfWeek: dow === '?' ? undefined : field(dow, 4),
    years: year === '*' ? undefined : field(year, 5),
  };
}

function parseCronField(expression: string, value: string, spec: FieldSpec): Set<number> {
  if (value === '?') {
    throw new ScheduleExpressionError(
      expression,
      `"?" is only allowed in day-of-month or day-of-week, not ${spec.name}.`,
    );
  }
  if (
    /[LW#]/i.test(
      value.replace(/[A-Z]{3}/gi, (name) => (spec.names?.includes(name.toUpperCase()) ? '0' : name)),
    )
  ) {
    throw new ScheduleExpressionError(expression, `"L", "W" and "#" (in ${spec.name}) are not supported.`);
  }
  const out = new Set<number>();
  for (const item of value.split(',')) {
    const stepMatch = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!stepMatch)
      throw new ScheduleExpressionError(expression, `"${item}" is not a valid ${spec.name} value.`);
    const [, rangeText = '', stepText] = stepMatch;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isSafeInteger(step) || step < 1) {
      throw new ScheduleExpressionError(expression, `the step in "${item}" must be a positive whole number.`);
    }
    let start: number;
    let end: number;
    if (rangeText === '*') {
      start = spec.min;
      end = spec.max;
    } else {
      const bounds = rangeText.split('-');
      if (bounds.length > 2) throw new ScheduleExpressionError(expression, `"${item}" is not a valid range.`);
      start = cronValue(expression, bounds[0] ?? '', spec);
      // `5/15` means "from 5 to the end, every 15", as in EventBridge.
      end =
        bounds.length === 2
          ? cronValue(expression, bounds[1] ?? '', spec)
          : stepText === undefined
            ? start
            : spec.max;
      if (end < start) {
        throw new ScheduleExpressionError(
          expression,
          `the range "${rangeText}" in ${spec.name} runs backwards.`,
        );
      }
    }
    for (let v = start; v <= end; v += step) out.add(v);
  }
  return out;
}

function cronValue(expression: string, text: string, spec: FieldSpec): number {
  const upper = text.toUpperCase();
  const nameIndex = spec.names?.indexOf(upper) ?? -1;
  const value = nameIndex >= 0 ? nameIndex + (spec.nameBase ?? 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ScheduleExpressionError(
      expression,
      `"${text}" is out of range for ${spec.name} (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ''}).`,
    );
  }
  return value;
}

function parseAt(expression: string, body: string): AtSchedule {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) throw new ScheduleExpressionError(expression, 'at needs yyyy-mm-ddThh:mm:ss.');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    probe.getUTCHours() !== hour ||
    probe.getUTCMinutes() !== minute ||
    probe.getUTCSeconds() !== second
  ) {
    throw new ScheduleExpressionError(expression, 'the date or time does not exist.');
  }
  return { kind: 'at', expression, wall: { year, month, day, hour, minute, second } };
}

export interface NextFireOptions {
  /** IANA zone for cron and at (e.g. `Europe/Paris`); UTC when absent. */
  timezone?: string;
  /** Where a rate schedule counts from (its creation); defaults to `after`. */
  anchor?: Date;
}

/** The first instant strictly after `after` at which the schedule fires, or undefined if it never fires again. */
export function nextFireTime(
  schedule: ParsedSchedule,
  after: Date,
  options: NextFireOptions = {},
): Date | undefined {
  const timezone = options.timezone ?? 'UTC';
  assertTimezone(timezone);
  if (schedule.kind === 'rate') {
    const anchor = (options.anchor ?? after).getTime();
    const elapsed = after.getTime() - anchor;
    const periods = elapsed < 0 ? 0 : Math.floor(elapsed / schedule.intervalMs) + 1;
    return new Date(anchor + periods * schedule.intervalMs);
  }
  if (schedule.kind === 'at') {
    const instant = wallToInstant(schedule.wall, timezone);
    return instant !== undefined && instant.getTime() > after.getTime() ? instant : undefined;
  }
  return nextCronTime(schedule, after, timezone);
}

function nextCronTime(schedule: CronSchedule, after: Date, timezone: string): Date | undefined {
  // Walk wall-clock fields (held in a UTC Date for arithmetic), jumping whole units that cannot match.
  const startWall = instantToWall(
    new Date(Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS),
    timezone,
  );
  const cursor = new Date(
    Date.UTC(startWall.year, startWall.month - 1, startWall.day, startWall.hour, startWall.minute),
  );
  // Wall time can step back an hour at a DST change; the guard keeps the answer strictly after `after`.
  for (let guard = 0; guard < 200_000; guard++) {
    const year = cursor.getUTCFullYear();
    if (year > MAX_YEAR) return undefined;
    if (schedule.years && !schedule.years.has(year)) {
      const later = [...schedule.years].filter((y) => y > year);
      if (later.length === 0) return undefined;
      cursor.setTime(Date.UTC(Math.min(...later), 0, 1, 0, 0));
      continue;
    }
    if (!schedule.months.has(cursor.getUTCMonth() + 1)) {
      cursor.setTime(Date.UTC(year, cursor.getUTCMonth() + 1, 1, 0, 0));
      continue;
    }
    const dayMatches = schedule.daysOfMonth
      ? schedule.daysOfMonth.has(cursor.getUTCDate())
      : (schedule.daysOfWeek?.has(cursor.getUTCDay() + 1) ?? true);
    if (!dayMatches) {
      cursor.setTime(Date.UTC(year, cursor.getUTCMonth(), cursor.getUTCDate() + 1, 0, 0));
      continue;
    }
    if (!schedule.hours.has(cursor.getUTCHours())) {
      cursor.setTime(Date.UTC(year, cursor.getUTCMonth(), cursor.getUTCDate(), cursor.getUTCHours() + 1, 0));
      continue;
    }
    if (!schedule.minutes.has(cursor.getUTCMinutes())) {
      cursor.setTime(cursor.getTime() + MINUTE_MS);
      continue;
    }
    const instant = wallToInstant(
      {
        year,
        month: cursor.getUTCMonth() + 1,
        day: cursor.getUTCDate(),
        hour: cursor.getUTCHours(),
        minute: cursor.getUTCMinutes(),
        second: 0,
      },
      timezone,
    );
    if (instant !== undefined && instant.getTime() > after.getTime()) return instant;
    cursor.setTime(cursor.getTime() + MINUTE_MS);
  }
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

function assertTimezone(timezone: string): void {
  try {
    formatterFor(timezone);
  } catch {
    throw new ValidationError(`"${timezone}" is not a known time zone.`, {
      code: 'SCHEDULE.INVALID_TIMEZONE',
      field: 'timezone',
    });
  }
}

function instantToWall(instant: Date, timezone: string): WallTime {
  if (timezone === 'UTC') {
    return {
      year: instant.getUTCFullYear(),
      month: instant.getUTCMonth() + 1,
      day: instant.getUTCDate(),
      hour: instant.getUTCHours(),
      minute: instant.getUTCMinutes(),
      second: instant.getUTCSeconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year'] ?? 0,
    month: parts['month'] ?? 0,
    day: parts['day'] ?? 0,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** The instant showing `wall` in `timezone`; undefined for a wall time skipped by a DST change. */
function wallToInstant(wall: WallTime, timezone: string): Date | undefined {
  const target = wallAsUtc(wall);
  if (timezone === 'UTC') return new Date(target);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const offset = wallAsUtc(instantToWall(new Date(guess), timezone)) - guess;
    guess = target - offset;
  }
  return wallAsUtc(instantToWall(new Date(guess), timezone)) === target ? new Date(guess) : undefined;
}

/** Formats an instant the way EventBridge writes `time` in events: second precision, `Z`. */
export function eventBridgeTime(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}Z`;
}
