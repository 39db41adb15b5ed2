import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeScheduler } from '../../../../../shared/adapters/aws/eventbridge-scheduler';
import { ConfigError } from '../../../../../shared/config/config';

const scheduler = mockClient(SchedulerClient);
const targetArn = 'arn:aws:lambda:eu-west-1:123456789012:function:pipeweave-dataset-refresh';
const roleArn = 'arn:aws:iam::123456789012:role/pipeweave-scheduler';

function adapter(options: { targetArn?: string } = { targetArn }) {
  return new EventBridgeScheduler({
    client: new SchedulerClient({ region: 'eu-west-1' }),
    group: 'pipeweave',
    roleArn,
    ...options,
  });
}

const request = {
  name: 'dataset-refresh-d1',
  expression: 'cron(0 3 * * ? *)',
  timezone: 'Europe/Paris',
  payload: { datasetId: 'd1' },
};

afterEach(() => {
  scheduler.reset();
});

describe('EventBridgeScheduler', () => {
  it('creates a schedule that fires on time with the payload as the target input', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });

    await adapter().upsertSchedule(request);

    expect(scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toEqual({
      Name: 'dataset-refresh-d1',
      GroupName: 'pipeweave',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Arn: targetArn, RoleArn: roleArn, Input: '{"datasetId":"d1"}' },
    });
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('updates the schedule when one with that name exists', async () => {
    scheduler.on(CreateScheduleCommand).rejects(
      new ConflictException({
        message: 'Schedule already exists.',
        Message: 'Schedule already exists.',
        $metadata: {},
      }),
    );
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });

    await adapter().upsertSchedule({ ...request, enabled: false });

    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      Name: 'dataset-refresh-d1',
      GroupName: 'pipeweave',
      State: 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Input: '{"datasetId":"d1"}' },
    });
  });

  it('deletes quietly when the schedule is already gone, and reads back what it stored', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(
      new ResourceNotFoundException({
        message: 'Schedule not found',
        Message: 'Schedule not found',
        $metadata: {},
      }),
    );
    scheduler
      .on(GetScheduleCommand, { Name: 'dataset-refresh-d1' })
      .resolves({
        Name: 'dataset-refresh-d1',
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Target: { Arn: targetArn, RoleArn: roleArn, Input: '{"datasetId":"d1"}' },
      })
      .on(GetScheduleCommand, { Name: 'missing' })
      .rejects(
        new ResourceNotFoundException({
          message: 'Schedule not found',
          Message: 'Schedule not found',
          $metadata: {},
        }),
      );

    await expect(adapter().deleteSchedule('dataset-refresh-d1')).resolves.toBeUndefined();
    expect(await adapter().getSchedule('dataset-refresh-d1')).toEqual({
      name: 'dataset-refresh-d1',
      expression: 'rate(1 hour)',
      payload: { datasetId: 'd1' },
      enabled: true,
    });
    expect(await adapter().getSchedule('missing')).toBeUndefined();
  });

  it('names the missing variable when no target is configured', async () => {
    await expect(adapter({}).upsertSchedule(request)).rejects.toThrow(ConfigError);
    await expect(adapter({}).upsertSchedule(request)).rejects.toThrow(/PW_SCHEDULER_TARGET_ARN/);
    expect(scheduler.calls()).toHaveLength(0);
  });
});
