import { describe, expect, it } from 'vitest';
import { pipelineControlEventSchema } from '../../../../../functions/pipeline/pipeline-control/pipeline-control-handler';
import { estimateJobCost, runUsage } from '../../../../../shared/domain/runs/estimate-job-cost';
import { chargeForSeconds } from '../../../../../shared/domain/billing/compute-cost';
import { asRecord } from '../../../../../shared/kernel/as-record';
import {
  describeStatesError,
  explainNodeError,
  lambdaErrorCause,
} from '../../../../../shared/domain/runs/run-errors';
import { lambdaTask } from '../../../../../infra/local/local-step-functions';
import { NodeError } from '../../../../../shared/domain/nodes/node-errors';

const JOB = '22222222-2222-4222-8222-222222222222';

describe('cost of a run', () => {
  const lambdaSecond = chargeForSeconds('lambda', 1).credits;

  it('estimates each node from its expected duration on the runtime it will run on, rounding the sum up once', () => {
    const estimate = estimateJobCost(
      [
        {
          nodeId: 'source',
          runtime: 'lambda',
          duration: { baseSeconds: 2, secondsPerMillionRows: 10 },
          inputPortCount: 0,
        },
        {
          nodeId: 'join',
          runtime: 'lambda',
          duration: { baseSeconds: 4, secondsPerMillionRows: 40 },
          inputPortCount: 2,
        },
        {
          nodeId: 'automl',
          runtime: 'fargate',
          duration: { baseSeconds: 10, secondsPerMillionRows: 0 },
          inputPortCount: 2,
          budgetSeconds: 3_000,
        },
      ],
      250_000,
    );
    const [source, join, automl] = estimate.nodes;
    // Source: 2 s + 0.25 M rows × 10 s; join: 4 s + 0.5 M rows × 40 s; AutoML: 10 s + its budget.
    expect(source).toMatchObject({
      nodeId: 'source',
      runtime: 'lambda',
      memoryMb: 3008,
      vcpu: null,
      billedSeconds: 4.5,
    });
    expect(join?.billedSeconds).toBe(24);
    expect(automl).toMatchObject({ runtime: 'fargate', vcpu: 2, memoryMb: 8192, billedSeconds: 3_010 });
    const sum = estimate.nodes.reduce((acc, node) => acc + node.credits, 0);
    expect(estimate.credits).toBe(Math.ceil(sum));
    expect(estimate.credits).toBeGreaterThan(2);
  });

  it('charges the nodes that finished on their measured time, never above the reservation', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
    const nodes = [
      { nodeId: 'a', runtime: 'lambda' as const, status: 'success', startedAt: at(0), completedAt: at(400) },
      {
        nodeId: 'b',
        runtime: 'lambda' as const,
        status: 'success',
        startedAt: at(400),
        completedAt: at(1_300),
      },
      {
        nodeId: 'c',
        runtime: 'lambda' as const,
        status: 'failed',
        startedAt: at(1_300),
        completedAt: at(9_000),
      },
      { nodeId: 'd', runtime: 'lambda' as const, status: 'skipped', startedAt: null, completedAt: null },
    ];
    const usage = runUsage(nodes, 500);
    expect(usage.nodes.map((node) => [node.nodeId, node.billedSeconds])).toEqual([
      ['a', 400],
      ['b', 900],
    ]);
    // 1,300 Lambda seconds at 3,008 MB, rounded up once.
    const cost = Math.ceil(lambdaSecond * 1_300);
    expect(cost).toBeGreaterThan(100);
    expect(usage).toMatchObject({ used: cost, overrun: 0 });
    expect(runUsage(nodes, 100)).toMatchObject({ used: 100, overrun: cost - 100 });
  });
});

describe('errors handed over by the state machine', () => {
  it('reads a Lambda error cause and a plain-text cause', () => {
    const lambda = describeStatesError({
      Error: 'PipeWeave.NodeError',
      Cause: JSON.stringify({
        errorType: 'PipeWeave.NodeError',
        errorMessage: 'Column "x" does not exist',
        trace: ['at a', 'at b'],
      }),
    });
    expect(lambda).toEqual({
      type: 'PipeWeave.NodeError',
      message: 'Column "x" does not exist',
      traceback: ['at a', 'at b'],
    });
    const fargate = describeStatesError({
      Error: 'States.HeartbeatTimeout',
      Cause: 'No heartbeat within 300 s.',
    });
    expect(explainNodeError(fargate)).toBe(
      'The node stopped reporting heartbeats: No heartbeat within 300 s.',
    );
  });
});

describe('Lambda-style errors', () => {
  it('a host-reported failure reads back as the error it was: type, message and trace', () => {
    const failure = lambdaErrorCause(new NodeError('Column "x" does not exist.'));
    expect(failure.Error).toBe('PipeWeave.NodeError');
    const described = describeStatesError(failure);
    expect(described.type).toBe('PipeWeave.NodeError');
    expect(described.message).toBe('Column "x" does not exist.');
    expect(described.traceback.length).toBeGreaterThan(0);
    expect(described.traceback[0]).toMatch(/^at /);
    expect(describeStatesError(lambdaErrorCause('plain text'))).toEqual({
      type: 'Error',
      message: 'plain text',
      traceback: [],
    });
  });

  it('the local interpreter fails a lambda task with the same Error and Cause', async () => {
    const error = new NodeError('boom');
    const task = lambdaTask(() => {
      throw error;
    });
    const context = {
      machine: 'm',
      executionId: 'e',
      executionName: 'e',
      stateName: 'S',
      signal: new AbortController().signal,
    };
    const thrown = await Promise.resolve(task({ Payload: {} }, context)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(Error);
    const { name, message } = thrown as Error;
    expect({ Error: name, Cause: message }).toEqual(lambdaErrorCause(error));
  });

  it('asRecord reads JSON objects only', () => {
    expect(asRecord({ a: 1 })).toEqual({ a: 1 });
    for (const value of [null, undefined, [1], 'x', 3]) expect(asRecord(value)).toBeUndefined();
  });
});

describe('pipeline control events', () => {
  it('accepts each Task payload of the state machine', () => {
    const events = [
      { action: 'plan', jobId: JOB },
      { action: 'check', jobId: JOB },
      { action: 'record', jobId: JOB, nodeId: 'a', status: 'success', output: { outputs: {} } },
      { action: 'record', jobId: JOB, nodeId: 'a', status: 'failed', error: { Error: 'E', Cause: 'C' } },
      { action: 'settle', jobId: JOB, error: null },
      { action: 'settle', jobId: JOB, error: { Error: 'E', Cause: 'C' } },
    ];
    for (const event of events) expect(pipelineControlEventSchema.parse(event)).toMatchObject(event);
  });

  it('rejects payloads that do not fit', () => {
    expect(() => pipelineControlEventSchema.parse({ action: 'plan', jobId: 'job-1' })).toThrow();
    expect(() =>
      pipelineControlEventSchema.parse({ action: 'record', jobId: JOB, nodeId: 'a', status: 'failed' }),
    ).toThrow();
    expect(() => pipelineControlEventSchema.parse({ action: 'launch', jobId: JOB })).toThrow();
  });
});
