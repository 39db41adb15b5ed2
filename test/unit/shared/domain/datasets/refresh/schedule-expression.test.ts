import { describe, expect, it } from 'vitest';
import {
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../../../../../../shared/domain/datasets/refresh/schedule-expression';

function next(
  expression: string,
  after: string,
  options: { timezone?: string; anchor?: string } = {},
): string | undefined {
  const parsed = parseScheduleExpression(expression);
  return nextFireTime(parsed, new Date(after), {
    ...(options.timezone ? { timezone: options.timezone } : {}),
    ...(options.anchor ? { anchor: new Date(options.anchor) } : {}),
  })?.toISOString();
}

describe('next fire time', () => {
  it.each([
    // rate: counted from the anchor (when the schedule was created)
    {
      expr: 'rate(1 minute)',
      after: '2026-03-01T10:00:00.000Z',
      anchor: '2026-03-01T10:00:00.000Z',
      want: '2026-03-01T10:01:00.000Z',
    },
    {
      expr: 'rate(5 minutes)',
      after: '2026-03-01T10:07:30.000Z',
      anchor: '2026-03-01T10:00:10.000Z',
      want: '2026-03-01T10:10:10.000Z',
    },
    {
      expr: 'rate(2 hours)',
      after: '2026-03-01T10:00:00.000Z',
      anchor: '2026-03-01T09:00:00.000Z',
      want: '2026-03-01T11:00:00.000Z',
    },
    {
      expr: 'rate(1 day)',
      after: '2026-03-01T00:00:00.000Z',
      anchor: '2026-02-27T12:00:00.000Z',
      want: '2026-03-01T12:00:00.000Z',
    },
    // cron in UTC
    { expr: 'cron(0 3 * * ? *)', after: '2026-03-01T02:59:00.000Z', want: '2026-03-01T03:00:00.000Z' },
    { expr: 'cron(0 3 * * ? *)', after: '2026-03-01T03:00:00.000Z', want: '2026-03-02T03:00:00.000Z' },
    { expr: 'cron(*/15 * * * ? *)', after: '2026-03-01T10:07:00.000Z', want: '2026-03-01T10:15:00.000Z' },
    { expr: 'cron(5/20 * * * ? *)', after: '2026-03-01T10:26:00.000Z', want: '2026-03-01T10:45:00.000Z' },
    {
      expr: 'cron(0 9-17 ? * MON-FRI *)',
      after: '2026-03-06T17:30:00.000Z',
      want: '2026-03-09T09:00:00.000Z',
    },
    { expr: 'cron(0 12 ? * 1 *)', after: '2026-03-02T00:00:00.000Z', want: '2026-03-08T12:00:00.000Z' },
    {
      expr: 'cron(15,45 8 1 JAN,JUL ? *)',
      after: '2026-01-01T08:20:00.000Z',
      want: '2026-01-01T08:45:00.000Z',
    },
    {
      expr: 'cron(15,45 8 1 JAN,JUL ? *)',
      after: '2026-01-01T08:50:00.000Z',
      want: '2026-07-01T08:15:00.000Z',
    },
    { expr: 'cron(0 0 29 2 ? *)', after: '2026-03-01T00:00:00.000Z', want: '2028-02-29T00:00:00.000Z' },
    { expr: 'cron(0 0 31 * ? *)', after: '2026-04-01T00:00:00.000Z', want: '2026-05-31T00:00:00.000Z' },
    {
      expr: 'cron(30 6 1 1 ? 2030-2031)',
      after: '2026-05-01T00:00:00.000Z',
      want: '2030-01-01T06:30:00.000Z',
    },
    // cron in a time zone, across the spring-forward change (Paris: 02:00 → 03:00 on 2026-03-29)
    {
      expr: 'cron(0 9 * * ? *)',
      after: '2026-03-28T12:00:00.000Z',
      tz: 'Europe/Paris',
      want: '2026-03-29T07:00:00.000Z',
    },
    {
      expr: 'cron(30 2 * * ? *)',
      after: '2026-03-28T12:00:00.000Z',
      tz: 'Europe/Paris',
      want: '2026-03-30T00:30:00.000Z',
    },
    // at: once, in UTC or a zone
    { expr: 'at(2026-06-01T12:00:00)', after: '2026-05-01T00:00:00.000Z', want: '2026-06-01T12:00:00.000Z' },
    { expr: 'at(2026-06-01T12:00:00)', after: '2026-06-01T12:00:00.000Z', want: undefined },
    {
      expr: 'at(2026-06-01T12:00:00)',
      after: '2026-05-01T00:00:00.000Z',
      tz: 'America/New_York',
      want: '2026-06-01T16:00:00.000Z',
    },
  ])('$expr after $after ($tz) → $want', ({ expr, after, anchor, tz, want }) => {
    expect(next(expr, after, { ...(anchor ? { anchor } : {}), ...(tz ? { timezone: tz } : {}) })).toBe(want);
  });

  it('returns undefined when a cron schedule has no future year', () => {
    expect(next('cron(0 0 1 1 ? 2020)', '2026-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it('rejects an unknown time zone', () => {
    expect(() => next('cron(0 3 * * ? *)', '2026-01-01T00:00:00.000Z', { timezone: 'Mars/Olympus' })).toThrow(
      /time zone/,
    );
  });
});

describe('parse errors', () => {
  it.each([
    { expr: 'every 5 minutes', reason: /rate\(…\), cron\(…\) or at\(…\)/ },
    { expr: 'rate(5 minute)', reason: /plural/ },
    { expr: 'rate(1 hours)', reason: /singular/ },
    { expr: 'rate(0 minutes)', reason: /positive/ },
    { expr: 'rate(3 weeks)', reason: /minute\(s\), hour\(s\) or day\(s\)/ },
    { expr: 'cron(0 3 * * *)', reason: /6 fields/ },
    { expr: 'cron(0 3 * * * *)', reason: /exactly one of day-of-month and day-of-week/ },
    { expr: 'cron(0 3 ? * ? *)', reason: /exactly one of day-of-month and day-of-week/ },
    { expr: 'cron(60 3 * * ? *)', reason: /out of range for minutes/ },
    { expr: 'cron(0 3 L * ? *)', reason: /"L", "W" and "#"/ },
    { expr: 'cron(0 3 ? * MON#2 *)', reason: /"L", "W" and "#"/ },
    { expr: 'cron(0 3 15W * ? *)', reason: /"L", "W" and "#"/ },
    { expr: 'cron(0 20-10 * * ? *)', reason: /backwards/ },
    { expr: 'at(2026-02-30T00:00:00)', reason: /does not exist/ },
    { expr: 'at(2026-02-01 00:00)', reason: /yyyy-mm-ddThh:mm:ss/ },
  ])('$expr', ({ expr, reason }) => {
    let caught: unknown;
    try {
      parseScheduleExpression(expr);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScheduleExpressionError);
    expect((caught as ScheduleExpressionError).message).toMatch(reason);
    expect((caught as ScheduleExpressionError).field).toBe('expression');
  });

  it('accepts month and weekday names in any case, such as WED and JUL', () => {
    expect(() => parseScheduleExpression('cron(0 8 ? jul wed *)')).not.toThrow();
  });
});
