import { describe, expect, it } from 'vitest';
import { pipelineControlEventSchema } from '../../../../../functions/pipeline/pipeline-control/pipeline-control-handler';
import {
  estimateJobCost,
  totalCredits,
  usedCredits,
} from '../../../../../shared/domain/runs/estimate-job-cost';
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
  it('prices each node as base + rows per million, and rounds the sum up once', () => {
    const estimate = estimateJobCost(
      [
        { nodeId: 'source', costModel: { baseCredits: 1, perMillionRowsCredits: 1 }, inputPortCount: 0 },
        { nodeId: 'join', costModel: { baseCredits: 2, perMillionRowsCredits: 4 }, inputPortCount: 2 },
        { nodeId: 'csv', costModel: { baseCredits: 1, perMillionRowsCredits: 2 }, inputPortCount: 1 },
      ],
      250_000,
    );
    // 1.25 + (2 + 2) + 1.5 = 6.75 → 7
    expect(estimate).toEqual({ credits: 7, perNode: { source: 1.25, join: 4, csv: 1.5 } });
  });

  it('does not charge a whole credit for float noise, and never charges above the reservation', () => {
    const tenth = { baseCredits: 0.1, perMillionRowsCredits: 0 };
    expect(
      totalCredits(
        Array.from({ length: 30 }, (_, i) => ({ nodeId: `n${i}`, costModel: tenth, inputRows: 0 })),
      ).credits,
    ).toBe(3);
    expect(
      usedCredits(
        [{ nodeId: 'big', costModel: { baseCredits: 1, perMillionRowsCredits: 10 }, inputRows: 5_000_000 }],
        20,
      ),
    ).toBe(20);
    expect(
      usedCredits(
        [{ nodeId: 'odd', costModel: { baseCredits: 1, perMillionRowsCredits: 1 }, inputRows: -5 }],
        20,
      ),
    ).toBe(1);
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
