import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
} from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSweepJobsHandler } from '../../../../../functions/schedules/sweep-jobs/sweep-jobs-handler';
import { lambdaTask, LocalStepFunctions } from '../../../../../infra/local/local-step-functions';
import { LedgerCredits } from '../../../../../shared/domain/billing/credits/ledger-credits';
import type { Database } from '../../../../../shared/db/database';
import type { DB } from '../../../../../shared/db/schema';
import { createLogger } from '../../../../../shared/observability/logger';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { randomIds } from '../../../../../shared/kernel/ids.port';
import { sweepJobs } from '../../../../../shared/domain/runs/sweep-jobs';

/** A driver that counts every attempt to reach the database and refuses it. */
class RefusingDriver implements Driver {
  attempts = 0;
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    this.attempts++;
    throw new Error('The idle sweep reached the database.');
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

function refusingDatabase(): { db: Database; driver: RefusingDriver } {
  const driver = new RefusingDriver();
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { db, driver };
}

/** run-pipeline as one Task that waits until the execution is stopped. */
const WAITING_MACHINE = JSON.stringify({
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: '${PipelineControlFunctionArn}', 'Payload.$': '$' },
      End: true,
    },
  },
});

let orchestrator: LocalStepFunctions;

function setup() {
  orchestrator = new LocalStepFunctions({ definitions: { 'run-pipeline': WAITING_MACHINE } });
  orchestrator.register('run-pipeline', {
    overrides: {
      Work: lambdaTask(
        (_payload, context) =>
          new Promise<null>((resolve) => context.signal.addEventListener('abort', () => resolve(null))),
      ),
    },
  });
  const { db, driver } = refusingDatabase();
  const services = {
    db,
    orchestrator,
    clock: fixedClock('2026-11-21T10:00:00Z'),
    logger: createLogger({ serviceName: 'test', logLevel: 'SILENT' }),
    ids: randomIds,
  };
  return { services, driver, credits: new LedgerCredits() };
}

afterEach(async () => {
  await orchestrator.stopAll();
});

describe('the frequent job sweep on an idle platform', () => {
  it('makes no database query at all when no execution runs, whatever event the schedule sends', async () => {
    const { services, driver, credits } = setup();
    const handler = makeSweepJobsHandler(() => services);
    const scheduledEvent = {
      version: '0',
      id: 'c5a9f0a2-0000-4000-8000-000000000000',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-11-21T10:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/SweepJobsEvery15Minutes'],
      detail: {},
    };

    const reports = [
      await handler({ sweep: 'if-running' }),
      await handler(scheduledEvent),
      await handler({}),
      await sweepJobs({ services, credits, mode: 'if-running' }),
    ];

    for (const report of reports) expect(report).toEqual({ running: 0, checked: 0, settled: [] });
    expect(driver.attempts).toBe(0);
  });

  it('does query the database once an execution runs, and the daily sweep always does', async () => {
    const { services, driver, credits } = setup();
    await expect(sweepJobs({ services, credits, mode: 'all' })).rejects.toThrow(/reached the database/);
    expect(driver.attempts).toBe(1);

    await orchestrator.startExecution({ machine: 'run-pipeline', name: 'some-job', input: {} });
    await expect(makeSweepJobsHandler(() => services)({ sweep: 'if-running' })).rejects.toThrow(
      /reached the database/,
    );
    expect(driver.attempts).toBe(2);
  });
});
