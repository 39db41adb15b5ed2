import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePipelineControlHandler } from '../../../../../functions/pipeline/pipeline-control/pipeline-control-handler';
import { TRANSIENT_ERROR_NAME } from '../../../../../shared/domain/nodes/node-errors';
import { httpTestServices } from '../../../support/http-test-services';
import { STATE_MACHINES } from '../../../../support/repo-paths';

/**
 * A job's execution starts inside the transaction that creates the job, so the machine's first
 * task may ask for a job that is not committed yet. The control plane answers with the error
 * PlanStages retries, and the retries last long enough for a commit in flight; a job that never
 * appears fails the run in planning and goes to Settle.
 */
interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface TaskState {
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
}

async function planStages(): Promise<TaskState> {
  const text = await readFile(path.join(STATE_MACHINES, 'run-pipeline.asl.json'), 'utf8');
  const machine = JSON.parse(text) as { States: Record<string, TaskState> };
  const state = machine.States['PlanStages'];
  if (!state) throw new Error('run-pipeline has no PlanStages state');
  return state;
}

describe('plan for a job that is not visible', () => {
  it('fails with the error PlanStages retries, naming the unknown job', async () => {
    // A database that has no rows at all: no job has this id.
    const { services } = httpTestServices();
    const control = makePipelineControlHandler(() => services);
    const jobId = '0b8f4a5e-4a8f-4e0c-9d55-6f0c2f1d9a11';

    const failure = await control({ action: 'plan', jobId }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ name: TRANSIENT_ERROR_NAME });
    expect((failure as Error).message).toContain(`Unknown job ${jobId}`);
    const state = await planStages();
    expect(state.Retry?.some((r) => r.ErrorEquals.includes(TRANSIENT_ERROR_NAME))).toBe(true);
  });

  it('is retried for up to about a minute, then caught into Settle', async () => {
    const state = await planStages();
    const retrier = state.Retry?.find((r) => r.ErrorEquals.includes(TRANSIENT_ERROR_NAME));
    expect(retrier).toBeDefined();
    const interval = retrier?.IntervalSeconds ?? 1;
    const backoff = retrier?.BackoffRate ?? 2;
    const cap = retrier?.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
    const waits = Array.from({ length: retrier?.MaxAttempts ?? 3 }, (_, i) =>
      Math.min(interval * backoff ** i, cap),
    );
    const longest = waits.reduce((sum, w) => sum + w, 0);
    expect(longest).toBeGreaterThanOrEqual(45);
    expect(longest).toBeLessThanOrEqual(120);
    expect(state.Catch).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Settle' }),
    );
  });
});
