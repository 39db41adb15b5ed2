import { ListExecutionsCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsOrchestrator } from '../../../../../shared/adapters/aws/sfn-orchestrator';
import { ConfigError } from '../../../../../shared/config/config';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';

const sfn = mockClient(SFNClient);
const machineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pipeweave-run-pipeline';
const executionArn = (name: string) =>
  `arn:aws:states:eu-west-1:123456789012:execution:pipeweave-run-pipeline:${name}`;
const startDate = new Date('2026-03-14T09:00:00Z');

function orchestrator() {
  return new StepFunctionsOrchestrator({
    client: new SFNClient({ region: 'eu-west-1' }),
    stateMachines: { 'run-pipeline': machineArn },
  });
}

const item = (name: string) => ({
  executionArn: executionArn(name),
  stateMachineArn: machineArn,
  name,
  status: 'RUNNING' as const,
  startDate,
});

afterEach(() => {
  sfn.reset();
});

describe('StepFunctionsOrchestrator.listRunningExecutions', () => {
  it('asks for RUNNING executions of the machine and follows every page', async () => {
    sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [item('job-1'), item('job-2')], nextToken: 'page-2' })
      .resolvesOnce({ executions: [item('job-3')], nextToken: 'page-3' })
      .resolvesOnce({ executions: [] });

    const running = await orchestrator().listRunningExecutions('run-pipeline');

    expect(running).toEqual(
      ['job-1', 'job-2', 'job-3'].map((name) => ({
        executionId: executionArn(name),
        name,
        startedAt: startDate,
      })),
    );
    const calls = sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { stateMachineArn: machineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken: undefined },
      { stateMachineArn: machineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken: 'page-2' },
      { stateMachineArn: machineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken: 'page-3' },
    ]);
  });

  it('answers an empty list with one call when nothing runs', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    expect(await orchestrator().listRunningExecutions('run-pipeline')).toEqual([]);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(1);
  });

  it('refuses a machine that is not configured without calling AWS', async () => {
    await expect(orchestrator().listRunningExecutions('nope')).rejects.toBeInstanceOf(ConfigError);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
  });

  it('turns throttling into a dependency-unavailable error', async () => {
    sfn.on(ListExecutionsCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
    );
    await expect(orchestrator().listRunningExecutions('run-pipeline')).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
