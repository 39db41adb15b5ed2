import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/config/config';
import { HealthFailure, timedCheck } from '../../../../shared/health/timed-check';
import { RecordingLogger } from '../../support/http-test-services';

/** A failed health check says a short, safe reason publicly; the real error goes to the log. */
function checkWith(probe: (signal: AbortSignal) => Promise<string>, timeoutMs = 200) {
  const logger = new RecordingLogger();
  return { check: timedCheck('database', probe, { timeoutMs, logger }), logger };
}

class DatabaseResumingException extends Error {
  override name = 'DatabaseResumingException';
}

describe('timedCheck', () => {
  it('answers up with the probe’s detail and a latency', async () => {
    const { check } = checkWith(async () => 'postgres 16.6');
    expect(await check.check()).toMatchObject({
      status: 'up',
      detail: 'postgres 16.6',
      latencyMs: expect.any(Number),
    });
  });

  it.each([
    [
      'a plain error with a host and a password',
      new Error('connect ECONNREFUSED 10.0.4.7:5432 password=hunter2'),
      'check failed',
    ],
    [
      'a TypeError from a driver',
      new TypeError("Cannot read properties of undefined (reading 'pg_hba.conf')"),
      'check failed',
    ],
    [
      'an SDK error (its class name only)',
      new DatabaseResumingException('arn:aws:rds:eu-west-1:123:cluster:secret'),
      'DatabaseResumingException',
    ],
    [
      'a HealthFailure (meant to be shown)',
      new HealthFailure('1 of 2 state machines are not active'),
      '1 of 2 state machines are not active',
    ],
    [
      'a configuration error',
      new ConfigError('Configuration "database" is missing: set PW_DATABASE_URL.'),
      'Configuration "database" is missing: set PW_DATABASE_URL.',
    ],
  ])('down on %s: says "%s" and logs the real error', async (_what, error, reason) => {
    const { check, logger } = checkWith(async () => {
      throw error;
    });
    const report = await check.check();
    expect(report).toMatchObject({ status: 'down', detail: reason });
    expect(JSON.stringify(report)).not.toMatch(/hunter2|10\.0\.4\.7|pg_hba|arn:aws/);
    expect(logger.text()).toContain(JSON.stringify(error.message).slice(1, -1));
  });

  it('down when the probe does not answer in time, and its signal is aborted', async () => {
    let aborted = false;
    const { check } = checkWith(
      (signal) =>
        new Promise<string>(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
      50,
    );
    expect(await check.check()).toMatchObject({ status: 'down', detail: 'no answer within 50 ms' });
    expect(aborted).toBe(true);
  });
});
