import { describe, expect, it } from 'vitest';
import {
  lambdaTask,
  LocalStepFunctions,
  STATE_PAYLOAD_LIMIT_BYTES,
  type TaskOverrides,
} from '../../../../infra/local/local-step-functions';
import { ValidationError } from '../../../../shared/kernel/app-error';

/**
 * Step Functions fails an execution whose payloads pass 256 KB with States.DataLimitExceeded, a
 * terminal error no Catch handles (not even States.ALL). The local interpreter does the same, so
 * local runs catch what AWS would refuse.
 */
const task = (next: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: '${PipelineControlFunctionArn}', 'Payload.$': '$' },
  ...next,
});

/** Produce (whose result lands in $.result) → Record; a Catch on States.ALL leads to Settle. */
const PRODUCE_MACHINE = JSON.stringify({
  StartAt: 'Produce',
  States: {
    Produce: task({
      ResultSelector: { 'output.$': '$.Payload' },
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Settle' }],
      Next: 'Record',
    }),
    Record: task({ ResultPath: null, Next: 'Settle' }),
    Settle: task({ ResultPath: null, End: true }),
  },
});

/** A Map over `items`, each iteration producing `size` characters of output. */
const MAP_MACHINE = JSON.stringify({
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemSelector: { 'size.$': '$$.Map.Item.Value' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Produce',
        States: { Produce: task({ ResultSelector: { 'output.$': '$.Payload' }, End: true }) },
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Settle' }],
      Next: 'Settle',
    },
    Settle: task({ ResultPath: null, End: true }),
  },
});

function runner(definition: string, produce: (payload: { size: number }) => unknown) {
  const orchestrator = new LocalStepFunctions({ definitions: { m: definition } });
  const calls: string[] = [];
  const record = (name: string) =>
    lambdaTask((payload) => {
      calls.push(name);
      return payload === null ? null : { ok: true };
    });
  const overrides: TaskOverrides =
    definition === PRODUCE_MACHINE
      ? {
          Produce: lambdaTask<{ size: number }>((p) => produce(p)),
          Record: record('Record'),
          Settle: record('Settle'),
        }
      : { Produce: lambdaTask<{ size: number }>((p) => produce(p)), Settle: record('Settle') };
  orchestrator.register('m', { overrides });
  const run = async (input: unknown) => {
    const { executionId } = await orchestrator.startExecution({
      machine: 'm',
      name: `e-${calls.length}-${Date.now()}`,
      input,
    });
    return orchestrator.waitForExecution(executionId, { timeoutMs: 10_000 });
  };
  return { run, calls };
}

const text = (bytes: number) => 'x'.repeat(bytes);

describe('the 256 KB payload quota', () => {
  it('a task result over the quota fails the execution, past a Catch on States.ALL, and Settle never runs', async () => {
    const { run, calls } = runner(PRODUCE_MACHINE, () => ({ blob: text(STATE_PAYLOAD_LIMIT_BYTES) }));
    const result = await run({ size: 0 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/Produce/);
    expect(calls).toEqual([]);
  });

  it('a state output over the quota fails the execution before the next state runs', async () => {
    // The result fits (200 KB) but the state keeps its 100 KB input beside it.
    const { run, calls } = runner(PRODUCE_MACHINE, () => ({ blob: text(200 * 1024) }));
    const result = await run({ carried: text(100 * 1024) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(calls).toEqual([]);
  });

  it("a Map whose iterations' outputs add up past the quota fails, though each fits", async () => {
    const { run, calls } = runner(MAP_MACHINE, (p) => ({ blob: text(p.size) }));
    const result = await run({ items: [100 * 1024, 100 * 1024, 100 * 1024] });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/Map "Each"/);
    expect(calls).toEqual([]);
  });

  it('payloads under the quota run as before', async () => {
    const single = runner(PRODUCE_MACHINE, () => ({ blob: text(100 * 1024) }));
    expect((await single.run({ size: 0 })).status).toBe('SUCCEEDED');
    expect(single.calls).toEqual(['Record', 'Settle']);
    const map = runner(MAP_MACHINE, (p) => ({ blob: text(p.size) }));
    expect((await map.run({ items: [60 * 1024, 60 * 1024, 60 * 1024] })).status).toBe('SUCCEEDED');
    expect(map.calls).toEqual(['Settle']);
  });

  it('refuses an execution input over the quota', async () => {
    const { run } = runner(PRODUCE_MACHINE, () => ({}));
    await expect(run({ blob: text(STATE_PAYLOAD_LIMIT_BYTES) })).rejects.toBeInstanceOf(ValidationError);
  });
});
