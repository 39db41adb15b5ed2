import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  lambdaTask,
  LocalStepFunctions,
  SUBSTITUTION_NAMES,
  type JsonValue,
  type TaskContext,
  type TaskOverride,
  type TaskOverrides,
} from '../../../infra/local/local-step-functions';
import { ConflictError, NotFoundError } from '../../../shared/kernel/app-error';
import { indexPipelineGraph } from '../../../shared/domain/pipelines/plan-stages';
import { STATE_MACHINES } from '../../support/repo-paths';

const ASL_PATH = path.join(STATE_MACHINES, 'run-pipeline.asl.json');
/** The Tasks that call the pipeline control function. */
const CONTROL_TASKS = ['PlanStages', 'CheckStage', 'RecordNodeSuccess', 'RecordNodeFailure', 'Settle'];
let aslText = '';
beforeAll(async () => {
  aslText = await readFile(ASL_PATH, 'utf8');
});

interface DagNode {
  id: string;
  runtime: 'lambda' | 'fargate';
}

type ControlPayload =
  | { action: 'plan'; jobId: string }
  | { action: 'check'; jobId: string }
  | { action: 'record'; jobId: string; nodeId: string; status: 'success'; output: JsonValue }
  | {
      action: 'record';
      jobId: string;
      nodeId: string;
      status: 'failed';
      error: { Error: string; Cause: string };
    }
  | { action: 'settle'; jobId: string; error: { Error: string; Cause: string } | null };

type NodePayload = { jobId: string; nodeId: string; attempt: number };

/** An in-memory control plane with the behaviour the real control Lambda has. */
function fakeControlPlane(nodes: DagNode[], edges: [string, string][]) {
  const graph = indexPipelineGraph({
    nodes: nodes.map((n) => ({ id: n.id, type: `test.${n.runtime}` })),
    edges: edges.map(([from, to]) => ({ from, to })),
  });
  const runtimeOf = new Map(nodes.map((n) => [n.id, n.runtime]));
  const records: {
    nodeId: string;
    status: 'success' | 'failed';
    output?: JsonValue;
    error?: { Error: string; Cause: string };
  }[] = [];
  const skipped = new Set<string>();
  const settles: { error: { Error: string; Cause: string } | null }[] = [];
  let checks = 0;
  const control = lambdaTask<ControlPayload>(async (payload) => {
    switch (payload.action) {
      case 'plan':
        return {
          stages: graph.stages.map((ids) =>
            ids.map((id) => ({
              nodeId: id,
              nodeType: `test.${runtimeOf.get(id)}`,
              runtime: runtimeOf.get(id),
            })),
          ),
        };
      case 'check':
        checks++;
        return { continue: !records.some((r) => r.status === 'failed') };
      case 'record':
        if (payload.status === 'success') {
          records.push({ nodeId: payload.nodeId, status: 'success', output: payload.output });
        } else {
          records.push({ nodeId: payload.nodeId, status: 'failed', error: payload.error });
          for (const id of graph.descendantsOf(payload.nodeId)) skipped.add(id);
        }
        return { recorded: true };
      case 'settle':
        settles.push({ error: payload.error });
        return {
          status: payload.error || records.some((r) => r.status === 'failed') ? 'failed' : 'completed',
        };
    }
  });
  return {
    records,
    skipped,
    settles,
    checks: () => checks,
    stageOf: (id: string) => graph.stages.findIndex((ids) => ids.includes(id)),
    overrides: {
      PlanStages: control,
      CheckStage: control,
      RecordNodeSuccess: control,
      RecordNodeFailure: control,
      Settle: control,
    } satisfies TaskOverrides,
  };
}

function machineWith(overrides: TaskOverrides, retryIntervalOverrides?: Record<string, number>) {
  const sfn = new LocalStepFunctions({ definitions: { 'run-pipeline': aslText } });
  sfn.register('run-pipeline', { overrides, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) });
  return sfn;
}

const INPUT = { jobId: 'job-1', userId: 'user-1', snapshotId: 'snap-1', datasetVersionId: 'dv-1' };

function unusedFargate(): TaskOverride {
  return () => {
    throw new Error('no Fargate node in this test');
  };
}

describe('run-pipeline state machine', () => {
  it('(a) runs a 5-node DAG stage by stage, branches in parallel, and settles once with success', async () => {
    const plane = fakeControlPlane(
      [
        { id: 'load', runtime: 'lambda' },
        { id: 'clean', runtime: 'lambda' },
        { id: 'profile', runtime: 'lambda' },
        { id: 'train', runtime: 'lambda' },
        { id: 'report', runtime: 'lambda' },
      ],
      [
        ['load', 'train'],
        ['clean', 'train'],
        ['profile', 'report'],
      ],
    );
    const runs: NodePayload[] = [];
    let active = 0;
    let maxActive = 0;
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask<NodePayload>(async (payload) => {
        runs.push(payload);
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setImmediate(resolve));
        active--;
        return { outputKey: `jobs/user-1/job-1/${payload.nodeId}/out.parquet` };
      }),
      RunFargateNode: unusedFargate(),
    });

    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-1',
      input: INPUT,
    });
    const result = await sfn.waitForExecution(executionId);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ status: 'completed' });
    expect(plane.settles).toEqual([{ error: null }]);
    expect(plane.records.map((r) => r.status)).toEqual(Array(5).fill('success'));
    const stages = plane.records.map((r) => plane.stageOf(r.nodeId));
    expect(stages).toEqual([...stages].sort());
    expect(new Set(plane.records.slice(0, 3).map((r) => r.nodeId))).toEqual(
      new Set(['clean', 'load', 'profile']),
    );
    expect(plane.records.find((r) => r.nodeId === 'train')?.output).toEqual({
      outputKey: 'jobs/user-1/job-1/train/out.parquet',
    });
    expect(runs.every((r) => r.jobId === 'job-1' && r.attempt === 0)).toBe(true);
    expect(maxActive).toBeGreaterThan(1);
    expect(plane.checks()).toBe(1);
    expect(sfn.executionHistory(executionId).length).toBeGreaterThan(20);
  });

  it('runs at most 4 nodes of a stage at once', async () => {
    const nodes = Array.from({ length: 7 }, (_, i) => ({ id: `n${i}`, runtime: 'lambda' as const }));
    const plane = fakeControlPlane(nodes, []);
    let active = 0;
    let maxActive = 0;
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        active--;
        return {};
      }),
      RunFargateNode: unusedFargate(),
    });
    const { executionId } = await sfn.startExecution({ machine: 'run-pipeline', name: 'wide', input: INPUT });
    expect((await sfn.waitForExecution(executionId)).status).toBe('SUCCEEDED');
    expect(plane.records).toHaveLength(7);
    expect(maxActive).toBe(4);
  });

  it('(b) runs a Fargate node through the task-token callback', async () => {
    const plane = fakeControlPlane(
      [
        { id: 'prep', runtime: 'lambda' },
        { id: 'big-train', runtime: 'fargate' },
      ],
      [['prep', 'big-train']],
    );
    const launches: JsonValue[] = [];
    let heartbeatSeen = false;
    const runFargate: TaskOverride = async (input, context: TaskContext) => {
      launches.push(input);
      const token = context.taskToken ?? '';
      await sfn.sendTaskHeartbeat(token);
      heartbeatSeen = sfn
        .pendingTasks()
        .some((t) => t.taskToken === token && t.lastHeartbeatAt !== undefined);
      setImmediate(() => void sfn.sendTaskSuccess(token, { modelKey: 'models/user-1/m1/model.json' }));
      return { tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/pipeweave/1' }] };
    };
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask(() => ({})),
      RunFargateNode: runFargate,
    });

    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-fargate',
      input: INPUT,
    });
    const result = await sfn.waitForExecution(executionId);

    expect(result.status).toBe('SUCCEEDED');
    expect(heartbeatSeen).toBe(true);
    expect(plane.records).toEqual([
      { nodeId: 'prep', status: 'success', output: {} },
      { nodeId: 'big-train', status: 'success', output: { modelKey: 'models/user-1/m1/model.json' } },
    ]);
    expect(launches).toHaveLength(1);
    const launch = launches[0] as {
      Cluster: string;
      LaunchType: string;
      NetworkConfiguration: {
        AwsvpcConfiguration: { Subnets: string[]; SecurityGroups: string[]; AssignPublicIp: string };
      };
      Overrides: { ContainerOverrides: { Name: string; Environment: { Name: string; Value: string }[] }[] };
    };
    expect(launch.Cluster).toBe('arn:aws:ecs:us-east-1:000000000000:cluster/pipeweave');
    expect(launch.LaunchType).toBe('FARGATE');
    expect(launch.NetworkConfiguration.AwsvpcConfiguration).toEqual({
      Subnets: ['subnet-00000000000000001', 'subnet-00000000000000002'],
      SecurityGroups: ['sg-00000000000000001'],
      AssignPublicIp: 'DISABLED',
    });
    const env = Object.fromEntries(
      launch.Overrides.ContainerOverrides[0]?.Environment.map((e) => [e.Name, e.Value]) ?? [],
    );
    expect(env['PW_JOB_ID']).toBe('job-1');
    expect(env['PW_NODE_ID']).toBe('big-train');
    expect(env['PW_TASK_TOKEN']?.length).toBeGreaterThan(40);
    expect(sfn.pendingTasks()).toEqual([]);
    await expect(sfn.sendTaskSuccess(env['PW_TASK_TOKEN'] ?? '', {})).rejects.toThrow(NotFoundError);
  });

  it('(b) records a Fargate node that reports failure through sendTaskFailure', async () => {
    const plane = fakeControlPlane([{ id: 'gpu', runtime: 'fargate' }], []);
    const sfn: LocalStepFunctions = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask(() => ({})),
      RunFargateNode: (_input, context) => {
        setImmediate(
          () => void sfn.sendTaskFailure(context.taskToken ?? '', 'PipeWeave.NodeError', 'out of memory'),
        );
      },
    });
    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-ff',
      input: INPUT,
    });
    expect((await sfn.waitForExecution(executionId)).status).toBe('SUCCEEDED');
    expect(plane.records).toEqual([
      { nodeId: 'gpu', status: 'failed', error: { Error: 'PipeWeave.NodeError', Cause: 'out of memory' } },
    ]);
    expect(plane.settles).toEqual([{ error: null }]);
  });

  it('(c) a failing node is recorded, its independent sibling succeeds, later stages do not run, settle sees the failure', async () => {
    const plane = fakeControlPlane(
      [
        { id: 'bad', runtime: 'lambda' },
        { id: 'good', runtime: 'lambda' },
        { id: 'after-bad', runtime: 'lambda' },
        { id: 'after-good', runtime: 'lambda' },
      ],
      [
        ['bad', 'after-bad'],
        ['good', 'after-good'],
      ],
    );
    const calls: string[] = [];
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask<NodePayload>(async ({ nodeId }) => {
        calls.push(nodeId);
        if (nodeId === 'bad') {
          const error = new Error('column "price" is not numeric');
          error.name = 'NodeInputError';
          throw error;
        }
        return { ok: true };
      }),
      RunFargateNode: unusedFargate(),
    });

    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-fail',
      input: INPUT,
    });
    const result = await sfn.waitForExecution(executionId);

    expect(result.status).toBe('SUCCEEDED');
    expect(calls.sort()).toEqual(['bad', 'good']);
    expect(plane.records.map((r) => [r.nodeId, r.status]).sort()).toEqual([
      ['bad', 'failed'],
      ['good', 'success'],
    ]);
    const failure = plane.records.find((r) => r.nodeId === 'bad')?.error;
    expect(failure?.Error).toBe('NodeInputError');
    expect(JSON.parse(failure?.Cause ?? '{}')).toMatchObject({
      errorType: 'NodeInputError',
      errorMessage: 'column "price" is not numeric',
    });
    expect([...plane.skipped]).toEqual(['after-bad']);
    expect(plane.checks()).toBe(1);
    expect(plane.settles).toEqual([{ error: null }]);
    expect(result.output).toEqual({ status: 'failed' });
  });

  it('(d) retries a transient node error with backoff, then records success with the attempt number', async () => {
    const plane = fakeControlPlane([{ id: 'flaky', runtime: 'lambda' }], []);
    const attempts: number[] = [];
    const sfn = machineWith(
      {
        ...plane.overrides,
        RunLambdaNode: lambdaTask<NodePayload>(async ({ attempt }) => {
          attempts.push(attempt);
          if (attempts.length < 3) {
            const error = new Error('throttled by the object store');
            error.name = 'PipeWeave.TransientError';
            throw error;
          }
          return { rows: 3 };
        }),
        RunFargateNode: unusedFargate(),
      },
      { RunLambdaNode: 0 },
    );
    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-retry',
      input: INPUT,
    });
    const result = await sfn.waitForExecution(executionId);

    expect(result.status).toBe('SUCCEEDED');
    expect(attempts).toEqual([0, 1, 2]);
    expect(plane.records).toEqual([{ nodeId: 'flaky', status: 'success', output: { rows: 3 } }]);
  });

  it('a failure in planning still settles, with the error, and fails the execution', async () => {
    const plane = fakeControlPlane([{ id: 'x', runtime: 'lambda' }], []);
    const settleOnly = plane.overrides.Settle;
    const sfn = machineWith({
      ...plane.overrides,
      PlanStages: lambdaTask(() => {
        throw new Error('snapshot missing');
      }),
      Settle: settleOnly,
      RunLambdaNode: lambdaTask(() => ({})),
      RunFargateNode: unusedFargate(),
    });
    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-plan',
      input: INPUT,
    });
    const result = await sfn.waitForExecution(executionId);
    expect(plane.settles).toHaveLength(1);
    expect(plane.settles[0]?.error?.Error).toBe('Error');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Error');
    expect(result.cause).toContain('snapshot missing');
  });

  it('(e) stopExecution aborts the run: status ABORTED, callbacks refused, nothing settled by the machine', async () => {
    const plane = fakeControlPlane([{ id: 'long', runtime: 'fargate' }], []);
    let launched: (token: string) => void = () => undefined;
    const launchedToken = new Promise<string>((resolve) => (launched = resolve));
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask(() => ({})),
      RunFargateNode: (_input, context) => launched(context.taskToken ?? ''),
    });
    const { executionId } = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-stop',
      input: INPUT,
    });
    const token = await launchedToken;

    await sfn.stopExecution(executionId, { error: 'JobCancelled', cause: 'Cancelled by the user.' });
    const described = await sfn.describeExecution(executionId);
    const finished = await sfn.waitForExecution(executionId);

    expect(described?.status).toBe('ABORTED');
    expect(described?.stoppedAt).toBeInstanceOf(Date);
    expect(described?.error).toBe('JobCancelled');
    expect(finished.status).toBe('ABORTED');
    await expect(sfn.sendTaskSuccess(token, { late: true })).rejects.toMatchObject({
      code: 'TASK.TIMED_OUT',
    });
    await expect(sfn.sendTaskSuccess('never-issued', {})).rejects.toThrow(NotFoundError);
    expect(plane.records).toEqual([]);
    expect(plane.settles).toEqual([]);
  });

  it('(f) refuses to build a machine when a Task has no local override, naming the state', () => {
    const plane = fakeControlPlane([], []);
    const sfn = new LocalStepFunctions({ definitions: { 'run-pipeline': aslText } });
    expect(() =>
      sfn.register('run-pipeline', {
        overrides: { ...plane.overrides, RunLambdaNode: lambdaTask(() => ({})) },
      }),
    ).toThrow(/without a local override.*RunFargateNode/);
    const { CheckStage: _omitted, ...withoutCheck } = plane.overrides;
    expect(() =>
      sfn.register('run-pipeline', {
        overrides: {
          ...withoutCheck,
          RunLambdaNode: lambdaTask(() => ({})),
          RunFargateNode: unusedFargate(),
        },
      }),
    ).toThrow(/CheckStage/);
    expect(() =>
      sfn.register('run-pipeline', {
        overrides: {
          ...plane.overrides,
          RunLambdaNode: lambdaTask(() => ({})),
          RunFargateNode: unusedFargate(),
          RunNode: unusedFargate(),
        },
      }),
    ).toThrow(/not Tasks of the machine: RunNode/);
  });

  it('starts idempotently by name and refuses the same name with another input', async () => {
    const plane = fakeControlPlane([{ id: 'a', runtime: 'lambda' }], []);
    const sfn = machineWith({
      ...plane.overrides,
      RunLambdaNode: lambdaTask(() => ({})),
      RunFargateNode: unusedFargate(),
    });
    const first = await sfn.startExecution({ machine: 'run-pipeline', name: 'job-same', input: INPUT });
    const again = await sfn.startExecution({
      machine: 'run-pipeline',
      name: 'job-same',
      input: { ...INPUT },
    });
    expect(again.executionId).toBe(first.executionId);
    await expect(
      sfn.startExecution({ machine: 'run-pipeline', name: 'job-same', input: { ...INPUT, jobId: 'job-2' } }),
    ).rejects.toThrow(ConflictError);
    await expect(
      sfn.startExecution({ machine: 'run-pipeline', name: 'has space', input: INPUT }),
    ).rejects.toThrow(/cannot name/);
    await sfn.waitForExecution(first.executionId);
    expect(plane.settles).toHaveLength(1);
    expect(
      await sfn.describeExecution('arn:aws:states:us-east-1:000000000000:execution:run-pipeline:nope'),
    ).toBeUndefined();
  });

  it('(g) uses JSONPath only and only the seven CDK substitution names', () => {
    const definition = JSON.parse(aslText) as unknown;
    const keys: string[] = [];
    const strings: string[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          keys.push(k);
          walk(v);
        }
      } else if (typeof value === 'string') strings.push(value);
    };
    walk(definition);

    expect(keys).not.toContain('Assign');
    expect(keys).not.toContain('QueryLanguage');
    expect(keys).not.toContain('Arguments');
    expect(keys).not.toContain('Output');
    expect(strings.filter((s) => s.includes('{%'))).toEqual([]);
    const placeholders = new Set([...aslText.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual([...SUBSTITUTION_NAMES].sort());
  });

  it('(g) retries only transient errors, always with backoff', () => {
    const definition = JSON.parse(aslText) as unknown;
    type Retrier = { ErrorEquals: string[]; BackoffRate?: number; IntervalSeconds?: number };
    const retriers: { state: string; retrier: Retrier }[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          const retry = v && typeof v === 'object' ? (v as { Retry?: Retrier[] }).Retry : undefined;
          if (Array.isArray(retry)) retriers.push(...retry.map((retrier) => ({ state: k, retrier })));
          walk(v);
        }
      }
    };
    walk(definition);
    expect(retriers.length).toBeGreaterThan(5);
    const transient = new Set([
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'PipeWeave.TransientError',
      'ECS.AmazonECSException',
    ]);
    // The control actions are idempotent, so a control call that ran out of time is retried too.
    const timeouts = ['Sandbox.Timedout', 'States.Timeout'];
    for (const { state, retrier } of retriers) {
      const allowed = CONTROL_TASKS.includes(state) ? new Set([...transient, ...timeouts]) : transient;
      expect(
        retrier.ErrorEquals.every((e) => allowed.has(e)),
        state,
      ).toBe(true);
      expect(retrier.BackoffRate ?? 0).toBeGreaterThan(1);
      expect(retrier.IntervalSeconds ?? 0).toBeGreaterThan(0);
    }
    for (const state of CONTROL_TASKS) {
      const errors = retriers.filter((r) => r.state === state).flatMap((r) => r.retrier.ErrorEquals);
      expect(errors, state).toEqual(expect.arrayContaining(timeouts));
    }
  });
});
