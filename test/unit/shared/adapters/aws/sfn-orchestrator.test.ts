import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsOrchestrator } from '../../../../../shared/adapters/aws/sfn-orchestrator';
import { ConfigError } from '../../../../../shared/config/config';
import { ConflictError, ValidationError } from '../../../../../shared/kernel/app-error';

const sfn = mockClient(SFNClient);
const machineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pipeweave-run-pipeline';
const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:pipeweave-run-pipeline:job-42';
const startDate = new Date('2026-03-14T09:00:00Z');

function orchestrator() {
  return new StepFunctionsOrchestrator({
    client: new SFNClient({ region: 'eu-west-1' }),
    stateMachines: { 'run-pipeline': machineArn },
  });
}

afterEach(() => {
  sfn.reset();
});

describe('StepFunctionsOrchestrator', () => {
  it('starts the machine by name with the JSON input and returns the execution ARN as id', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate });

    const started = await orchestrator().startExecution({
      machine: 'run-pipeline',
      name: 'job-42',
      input: { jobId: '42' },
    });

    expect(started).toEqual({ executionId: executionArn, startedAt: startDate });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: machineArn,
      name: 'job-42',
      input: '{"jobId":"42"}',
    });
  });

  it('returns the existing execution when the same name is started again with the same input', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    // Step Functions keeps the input as sent; key order or spacing may differ from ours.
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      startDate,
      status: 'SUCCEEDED',
      input: '{ "jobId": "42", "n": 1 }',
      stateMachineArn: machineArn,
    });

    const started = await orchestrator().startExecution({
      machine: 'run-pipeline',
      name: 'job-42',
      input: { n: 1, jobId: '42' },
    });

    expect(started).toEqual({ executionId: executionArn, startedAt: startDate });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn });
  });

  it('refuses the same name with a different input as a conflict', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn,
      startDate,
      status: 'RUNNING',
      input: '{"jobId":"41"}',
      stateMachineArn: machineArn,
    });

    const error = await orchestrator()
      .startExecution({ machine: 'run-pipeline', name: 'job-42', input: { jobId: '42' } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'EXECUTION.ALREADY_EXISTS', status: 409 });
  });

  it('describes an execution with its parsed output, and answers undefined when it does not exist', async () => {
    sfn
      .on(DescribeExecutionCommand, { executionArn })
      .resolves({
        executionArn,
        name: 'job-42',
        status: 'FAILED',
        startDate,
        stopDate: new Date('2026-03-14T09:05:00Z'),
        output: '{"settled":true}',
        error: 'NodeFailed',
        cause: 'train-1 ran out of memory',
        stateMachineArn: machineArn,
      })
      .on(DescribeExecutionCommand, { executionArn: `${executionArn}-gone` })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    const found = await orchestrator().describeExecution(executionArn);
    const missing = await orchestrator().describeExecution(`${executionArn}-gone`);

    expect(found).toEqual({
      executionId: executionArn,
      name: 'job-42',
      status: 'FAILED',
      startedAt: startDate,
      stoppedAt: new Date('2026-03-14T09:05:00Z'),
      output: { settled: true },
      error: 'NodeFailed',
      cause: 'train-1 ran out of memory',
    });
    expect(missing).toBeUndefined();
  });

  it('sends task callbacks with JSON output and within the error and cause limits', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});

    await orchestrator().sendTaskSuccess('token-1', { rows: 10 });
    await orchestrator().sendTaskFailure('token-2', 'E'.repeat(300), 'cause');

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: '{"rows":10}',
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input.error).toHaveLength(256);
  });

  it('says a late callback for a timed-out task conflicts', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    await expect(orchestrator().sendTaskSuccess('token-3', {})).rejects.toMatchObject({
      code: 'TASK.TIMED_OUT',
    });
  });

  it('refuses unknown machines and names Step Functions would reject, before calling AWS', async () => {
    await expect(
      orchestrator().startExecution({ machine: 'nope', name: 'a', input: {} }),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(
      orchestrator().startExecution({ machine: 'run-pipeline', name: 'job 42', input: {} }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(sfn.calls()).toHaveLength(0);
  });
});
