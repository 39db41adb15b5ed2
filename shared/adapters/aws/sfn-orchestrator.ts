import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../../config/config';
import { ConflictError, NotFoundError, ValidationError } from '../../kernel/app-error';
import type {
  ExecutionDescription,
  ExecutionStatus,
  ExecutionSummary,
  Orchestrator,
  StartExecutionRequest,
} from '../../ports/orchestrator.port';
import { errorName, translateCommonAwsError } from './aws-errors';

export interface StepFunctionsOrchestratorOptions {
  client: SFNClient;
  /** State machine ARN by machine name (config `stateMachines`, from PW_STATE_MACHINE_ARNS). */
  stateMachines: Record<string, string>;
}

/** Step Functions limits: error ≤ 256 characters, cause ≤ 32,768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;
/** ListExecutions' largest page. */
const LIST_PAGE_SIZE = 1000;
const STATUSES = new Set<ExecutionStatus>([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

/** Workflow executions on Step Functions (Standard). The execution ARN is the execution id. */
export class StepFunctionsOrchestrator implements Orchestrator {
  readonly #client: SFNClient;
  readonly #machines: Record<string, string>;

  constructor(options: StepFunctionsOrchestratorOptions) {
    this.#client = options.client;
    this.#machines = options.stateMachines;
  }

  async startExecution(request: StartExecutionRequest): Promise<{ executionId: string; startedAt: Date }> {
    const stateMachineArn = this.#machineArn(request.machine);
    // Step Functions names: 1–80 characters, no whitespace, brackets, wildcards or control characters.
    if (!isExecutionName(request.name)) {
      throw new ValidationError(
        `"${request.name}" cannot name an execution (1–80 characters, no spaces or <>{}[]?*"#%\\^|~\`$&,;:/).`,
      );
    }
    const input = JSON.stringify(request.input ?? {});
    try {
      const out = await this.#client.send(
        new StartExecutionCommand({ stateMachineArn, name: request.name, input }),
      );
      if (!out.executionArn) throw new Error('StartExecution returned no executionArn.');
      return { executionId: out.executionArn, startedAt: out.startDate ?? new Date() };
    } catch (error) {
      if (errorName(error) !== 'ExecutionAlreadyExists')
        throw translateSfnError(error, `StartExecution ${request.machine}/${request.name}`);
      // Same name again: the same input means the caller is retrying, another input is a conflict.
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name}`;
      const existing = await this.#describe(executionArn);
      if (existing && sameJson(existing.input, input)) {
        return {
          executionId: existing.executionArn ?? executionArn,
          startedAt: existing.startDate ?? new Date(),
        };
      }
      throw new ConflictError(
        'EXECUTION.ALREADY_EXISTS',
        `An execution named "${request.name}" of ${request.machine} already exists with a different input.`,
        { cause: error },
      );
    }
  }

  async stopExecution(executionId: string, reason: { error?: string; cause?: string } = {}): Promise<void> {
    try {
      await this.#client.send(
        new StopExecutionCommand({
          executionArn: executionId,
          ...(reason.error ? { error: reason.error.slice(0, MAX_ERROR) } : {}),
          ...(reason.cause ? { cause: reason.cause.slice(0, MAX_CAUSE) } : {}),
        }),
      );
    } catch (error) {
      if (isMissingExecution(error)) throw new NotFoundError('Execution', executionId, { cause: error });
      throw translateSfnError(error, 'StopExecution');
    }
  }

  async describeExecution(executionId: string): Promise<ExecutionDescription | undefined> {
    const out = await this.#describe(executionId);
    if (!out) return undefined;
    const status = out.status as ExecutionStatus | undefined;
    return {
      executionId: out.executionArn ?? executionId,
      name: out.name ?? executionId.split(':').pop() ?? executionId,
      status: status && STATUSES.has(status) ? status : 'RUNNING',
      startedAt: out.startDate ?? new Date(0),
      ...(out.stopDate ? { stoppedAt: out.stopDate } : {}),
      ...(out.output !== undefined ? { output: parseJson(out.output) } : {}),
      ...(out.error ? { error: out.error } : {}),
      ...(out.cause ? { cause: out.cause } : {}),
    };
  }

  async listRunningExecutions(machine: string): Promise<ExecutionSummary[]> {
    const stateMachineArn = this.#machineArn(machine);
    const running: ExecutionSummary[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.#client
        .send(
          new ListExecutionsCommand({
            stateMachineArn,
            statusFilter: 'RUNNING',
            maxResults: LIST_PAGE_SIZE,
            nextToken,
          }),
        )
        .catch((error: unknown) => {
          throw translateSfnError(error, `ListExecutions ${machine}`);
        });
      for (const item of out.executions ?? []) {
        if (!item.executionArn || !item.name) continue;
        running.push({
          executionId: item.executionArn,
          name: item.name,
          startedAt: item.startDate ?? new Date(0),
        });
      }
      nextToken = out.nextToken;
    } while (nextToken);
    return running;
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.#task('SendTaskSuccess', () =>
      this.#client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) })),
    );
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.#task('SendTaskFailure', () =>
      this.#client.send(
        new SendTaskFailureCommand({
          taskToken,
          error: error.slice(0, MAX_ERROR),
          cause: cause.slice(0, MAX_CAUSE),
        }),
      ),
    );
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.#task('SendTaskHeartbeat', () =>
      this.#client.send(new SendTaskHeartbeatCommand({ taskToken })),
    );
  }

  #machineArn(machine: string): string {
    const stateMachineArn = this.#machines[machine];
    if (!stateMachineArn) {
      throw new ConfigError(`No state machine "${machine}" is configured: add it to PW_STATE_MACHINE_ARNS.`);
    }
    return stateMachineArn;
  }

  async #describe(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
    try {
      return await this.#client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (isMissingExecution(error)) return undefined;
      throw translateSfnError(error, 'DescribeExecution');
    }
  }

  async #task(operation: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const name = errorName(error);
      if (name === 'TaskDoesNotExist' || name === 'InvalidToken')
        throw new NotFoundError('Task', undefined, { cause: error });
      if (name === 'TaskTimedOut') {
        throw new ConflictError(
          'TASK.TIMED_OUT',
          'The workflow task already timed out; its result is no longer accepted.',
          { cause: error },
        );
      }
      throw translateSfnError(error, operation);
    }
  }
}

function isExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) return false;
  // Control characters (U+0000–001F, U+007F–009F) are refused too.
  return ![...name].some((c) => {
    const code = c.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
}

function isMissingExecution(error: unknown): boolean {
  const name = errorName(error);
  return name === 'ExecutionDoesNotExist' || name === 'InvalidArn';
}

function translateSfnError(error: unknown, operation: string): Error {
  const name = errorName(error);
  if (name === 'StateMachineDoesNotExist' || name === 'StateMachineDeleting') {
    return new ConfigError(
      `${operation}: the configured state machine is missing (${name}); check PW_STATE_MACHINE_ARNS.`,
      { cause: error },
    );
  }
  return translateCommonAwsError(error, 'orchestrator', 'states', operation);
}

function sameJson(a: string | undefined, b: string): boolean {
  return a !== undefined && isDeepStrictEqual(parseJson(a), parseJson(b));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
