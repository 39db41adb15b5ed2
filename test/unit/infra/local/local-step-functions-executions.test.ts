import { describe, expect, it } from 'vitest';
import {
  lambdaTask,
  LocalStepFunctions,
  type ExecutionStatusChangeEvent,
} from '../../../../infra/local/local-step-functions';
import { NotFoundError } from '../../../../shared/kernel/app-error';
import { executionStatusChangeSchema } from '../../../../shared/domain/runs/execution-status-event';

/** One Task that waits until the test lets it go (or the execution is stopped). */
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

function machines() {
  const gates = new Map<string, () => void>();
  const orchestrator = new LocalStepFunctions({
    definitions: { 'run-pipeline': WAITING_MACHINE, other: WAITING_MACHINE },
  });
  const work = lambdaTask<{ id: string }>(
    (payload, context) =>
      new Promise<{ done: string }>((resolve) => {
        gates.set(payload.id, () => resolve({ done: payload.id }));
        context.signal.addEventListener('abort', () => resolve({ done: 'stopped' }));
      }),
  );
  orchestrator.register('run-pipeline', { overrides: { Work: work } });
  orchestrator.register('other', { overrides: { Work: work } });
  const release = async (id: string) => {
    const deadline = Date.now() + 5_000;
    while (!gates.has(id)) {
      if (Date.now() > deadline) throw new Error(`task ${id} never started`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    gates.get(id)?.();
  };
  return { orchestrator, release };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('LocalStepFunctions: running executions and status-change events', () => {
  it('lists the running executions of one machine only, and drops them once they end', async () => {
    const { orchestrator, release } = machines();
    const a = await orchestrator.startExecution({
      machine: 'run-pipeline',
      name: 'job-a',
      input: { id: 'a' },
    });
    const b = await orchestrator.startExecution({
      machine: 'run-pipeline',
      name: 'job-b',
      input: { id: 'b' },
    });
    await orchestrator.startExecution({ machine: 'other', name: 'job-c', input: { id: 'c' } });

    const running = await orchestrator.listRunningExecutions('run-pipeline');
    expect(running.map((e) => [e.name, e.executionId]).sort()).toEqual([
      ['job-a', a.executionId],
      ['job-b', b.executionId],
    ]);
    expect(running.every((e) => e.startedAt instanceof Date)).toBe(true);

    await release('a');
    await orchestrator.waitForExecution(a.executionId, { timeoutMs: 5_000 });
    await orchestrator.stopExecution(b.executionId);
    expect(await orchestrator.listRunningExecutions('run-pipeline')).toEqual([]);
    expect((await orchestrator.listRunningExecutions('other')).map((e) => e.name)).toEqual(['job-c']);
    await orchestrator.stopAll();
  });

  it('refuses to list a machine it does not know', async () => {
    const { orchestrator } = machines();
    await expect(orchestrator.listRunningExecutions('no-such-machine')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('announces each ended execution once, as the EventBridge event the sweeper parses, with its status', async () => {
    const { orchestrator, release } = machines();
    const events: ExecutionStatusChangeEvent[] = [];
    const unsubscribe = orchestrator.onExecutionStatusChange((event) => {
      events.push(event);
    });
    const done = await orchestrator.startExecution({
      machine: 'run-pipeline',
      name: 'job-d',
      input: { id: 'd' },
    });
    const stopped = await orchestrator.startExecution({
      machine: 'run-pipeline',
      name: 'job-s',
      input: { id: 's' },
    });

    await release('d');
    await orchestrator.waitForExecution(done.executionId, { timeoutMs: 5_000 });
    await orchestrator.stopExecution(stopped.executionId, { error: 'PipeWeave.Cancelled', cause: 'test' });
    await until(() => (events.length >= 2 ? events : undefined), 'two events');

    const byName = new Map(events.map((e) => [e.detail.name, e]));
    expect(byName.get('job-d')?.detail).toMatchObject({
      executionArn: done.executionId,
      status: 'SUCCEEDED',
    });
    // The machine's output (here the lambda:invoke result, as it has no ResultSelector).
    expect(JSON.parse(String(byName.get('job-d')?.detail.output))).toMatchObject({ Payload: { done: 'd' } });
    expect(byName.get('job-s')?.detail).toMatchObject({
      executionArn: stopped.executionId,
      status: 'ABORTED',
    });
    for (const event of events) {
      expect(executionStatusChangeSchema.safeParse(event).success).toBe(true);
      expect(event.detail.stateMachineArn).toMatch(/:stateMachine:run-pipeline$/);
      expect(event.detail.stopDate).toBeGreaterThanOrEqual(event.detail.startDate);
    }

    // A second stop changes nothing and announces nothing; after unsubscribing, nothing more arrives.
    await orchestrator.stopExecution(stopped.executionId);
    unsubscribe();
    const late = await orchestrator.startExecution({
      machine: 'run-pipeline',
      name: 'job-l',
      input: { id: 'l' },
    });
    await orchestrator.stopExecution(late.executionId);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => e.detail.name).sort()).toEqual(['job-d', 'job-s']);
  });

  it('does not announce executions stopped by a shutdown', async () => {
    const { orchestrator } = machines();
    const events: ExecutionStatusChangeEvent[] = [];
    orchestrator.onExecutionStatusChange((event) => {
      events.push(event);
    });
    await orchestrator.startExecution({ machine: 'run-pipeline', name: 'job-x', input: { id: 'x' } });
    await orchestrator.stopAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
  });
});
