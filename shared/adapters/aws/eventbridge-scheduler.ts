import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { ConfigError } from '../../config/config';
import { ValidationError } from '../../kernel/app-error';
import type { ScheduleRequest, Scheduler } from '../../ports/scheduler.port';
import { errorName, translateCommonAwsError } from './aws-errors';

export interface EventBridgeSchedulerOptions {
  client: SchedulerClient;
  /** Config `scheduler`: the schedule group, the target (the scheduled Lambda) and the role Scheduler assumes to invoke it. */
  group: string;
  targetArn?: string;
  roleArn?: string;
}

/** Product-owned schedules on EventBridge Scheduler, all in one group, all invoking one target. */
export class EventBridgeScheduler implements Scheduler {
  readonly #client: SchedulerClient;
  readonly #options: EventBridgeSchedulerOptions;

  constructor(options: EventBridgeSchedulerOptions) {
    this.#client = options.client;
    this.#options = options;
  }

  async upsertSchedule(request: ScheduleRequest): Promise<void> {
    validateName(request.name);
    const { targetArn, roleArn } = this.#options;
    if (!targetArn) throw new ConfigError('Schedules need a target: set PW_SCHEDULER_TARGET_ARN.');
    if (!roleArn)
      throw new ConfigError('Schedules need a role to invoke their target: set PW_SCHEDULER_ROLE_ARN.');
    const input: CreateScheduleCommandInput = {
      Name: request.name,
      GroupName: this.#options.group,
      ScheduleExpression: request.expression,
      ...(request.timezone ? { ScheduleExpressionTimezone: request.timezone } : {}),
      // Product schedules fire at their time, not somewhere in a window.
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: request.enabled === false ? 'DISABLED' : 'ENABLED',
      Target: { Arn: targetArn, RoleArn: roleArn, Input: JSON.stringify(request.payload) },
    };
    try {
      await this.#client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (errorName(error) !== 'ConflictException')
        throw translateSchedulerError(error, `CreateSchedule ${request.name}`);
      try {
        // UpdateSchedule replaces every field, so it takes the same full description.
        await this.#client.send(new UpdateScheduleCommand(input));
      } catch (updateError) {
        throw translateSchedulerError(updateError, `UpdateSchedule ${request.name}`);
      }
    }
  }

  async deleteSchedule(name: string): Promise<void> {
    try {
      await this.#client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.#options.group }));
    } catch (error) {
      // Deleting what is already gone is what the caller wanted.
      if (errorName(error) === 'ResourceNotFoundException') return;
      throw translateSchedulerError(error, `DeleteSchedule ${name}`);
    }
  }

  async getSchedule(name: string): Promise<ScheduleRequest | undefined> {
    let out;
    try {
      out = await this.#client.send(new GetScheduleCommand({ Name: name, GroupName: this.#options.group }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw translateSchedulerError(error, `GetSchedule ${name}`);
    }
    return {
      name: out.Name ?? name,
      expression: out.ScheduleExpression ?? '',
      ...(out.ScheduleExpressionTimezone ? { timezone: out.ScheduleExpressionTimezone } : {}),
      payload: parsePayload(out.Target?.Input),
      enabled: out.State !== 'DISABLED',
    };
  }
}

function validateName(name: string): void {
  if (!/^[0-9a-zA-Z._-]{1,64}$/.test(name)) {
    throw new ValidationError(`"${name}" cannot name a schedule (1–64 letters, digits, ".", "_" or "-").`);
  }
}

function parsePayload(input: string | undefined): Record<string, unknown> {
  if (!input) return {};
  const parsed = JSON.parse(input) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : { value: parsed };
}

function translateSchedulerError(error: unknown, operation: string): Error {
  if (errorName(error) === 'ValidationException') {
    // A bad expression or time zone comes from the caller's request.
    return new ValidationError(
      `The schedule was refused: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return translateCommonAwsError(error, 'scheduler', 'scheduler', operation);
}
