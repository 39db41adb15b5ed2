import { describe, expect, it } from 'vitest';
import {
  parseRefreshSchedule,
  refreshInterval,
} from '../../../../../../shared/domain/datasets/refresh/refresh-source';
import { toProblem } from '../../../../../../shared/http/problem';

/** A refresh schedule fetches a user-chosen URL at each firing: none may fire more often than every 15 minutes. */
function problemOf(schedule: string) {
  try {
    parseRefreshSchedule(schedule);
  } catch (error) {
    return toProblem(error, { instance: '/datasets/x', requestId: 'req-1' }).problem;
  }
  throw new Error(`${schedule} was accepted`);
}

describe('refresh schedules', () => {
  it.each([
    ['cron(* * * * ? *)', 1],
    ['cron(0/5 * * * ? *)', 5],
    ['cron(0,10 * * * ? *)', 10],
    ['cron(0-3 9 ? * MON-FRI *)', 1],
    // 23:55 then 00:00 the next day.
    ['cron(0,55 0,23 * * ? *)', 5],
    ['rate(1 minute)', 1],
    ['rate(14 minutes)', 14],
  ])('refuses %s, which can fire %i minutes apart, naming the field and the minimum', (schedule, gap) => {
    const problem = problemOf(schedule);
    expect(problem).toMatchObject({
      status: 400,
      code: 'REFRESH.SCHEDULE_TOO_FREQUENT',
      field: 'body.refresh.schedule',
      details: { minimumIntervalMinutes: 15, shortestIntervalMinutes: gap },
    });
    expect(problem.detail).toMatch(/every 15 minutes/);
  });

  it.each([
    'cron(0/15 * * * ? *)',
    'cron(0,30 * * * ? *)',
    'cron(0 3 * * ? *)',
    'cron(50 23 ? * MON *)',
    'cron(0 0,12 1 * ? 2030)',
    'rate(15 minutes)',
    'rate(1 day)',
  ])('accepts %s', (schedule) => {
    expect(() => parseRefreshSchedule(schedule)).not.toThrow();
  });

  it('refuses what EventBridge would refuse, and one-off schedules', () => {
    for (const schedule of [
      'rate(1 hours)',
      'rate(2 hour)',
      'cron(0 3 * * * *)',
      'at(2030-01-01T00:00:00)',
    ]) {
      expect(problemOf(schedule)).toMatchObject({ status: 400, field: 'body.refresh.schedule' });
    }
  });

  it('still gives a rate as an interval and a cron as none', () => {
    expect(refreshInterval('rate(2 hours)')).toBe(7_200_000);
    expect(refreshInterval('cron(0/30 * * * ? *)')).toBeUndefined();
  });
});
