import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/kernel/app-error';
import type { Logger } from '../../shared/observability/logger';
import { lambdaErrorCause } from '../../shared/domain/runs/run-errors';
import { systemClock, type Clock } from '../../shared/kernel/clock.port';
import type { HealthCheck } from '../../shared/ports/health.port';
import type {
  ExecutionDescription,
  ExecutionStatus,
  ExecutionSummary,
  Orchestrator,
  StartExecutionRequest,
} from '../../shared/ports/orchestrator.port';

/**
 * Step Functions on one machine: the `statemachines/*.asl.json` files, with the same
 * `${Placeholder}` substitutions CDK applies, run by aws-local-stepfunctions. Every Task state
 * must have a local override (a Task without one would silently call real AWS), checked when a
 * machine is registered. `.waitForTaskToken` tasks get a real token through `$$.Task.Token` and
 * wait for `sendTaskSuccess`/`sendTaskFailure`, with heartbeat and timeout enforcement.
 *
 * Payloads are held to Step Functions' 256 KB quota as AWS does: an execution input, a state's
 * input or output, a task's input (after Parameters) or result, a Map iteration's output and a
 * Map's collected results over the quota fail the execution with `States.DataLimitExceeded`,
 * which no Retry or Catch (States.ALL included) handles; a callback output over it is refused.
 *
 * Differences from AWS worth knowing: inside a Map iteration `$$.Execution.Input` is the
 * iteration's input; `$$.State.RetryCount` is supplied by counting failed attempts of the same
 * state with the same input; execution history lives in memory only.
 */

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); Node 20 lacks it.
const promiseStatics = Promise as unknown as Record<string, unknown>;
if (typeof promiseStatics['withResolvers'] !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve: (value: T | PromiseLike<T>) => void = () => undefined;
      let reject: (reason?: unknown) => void = () => undefined;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The substitution names CDK's `definitionSubstitutions` fills in. */
export const SUBSTITUTION_NAMES = [
  'PipelineControlFunctionArn',
  'NodeRunnerFunctionArn',
  'ClusterArn',
  'NodeTaskDefinitionArn',
  'NodeContainerName',
  'SubnetIds',
  'SecurityGroupIds',
] as const;
export type SubstitutionName = (typeof SUBSTITUTION_NAMES)[number];

/** Plausible local values: the interpreter never calls them because every Task is overridden. */
export const LOCAL_SUBSTITUTIONS: Record<SubstitutionName, string> = {
  PipelineControlFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pipeweave-pipeline-control',
  NodeRunnerFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pipeweave-node-runner',
  ClusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/pipeweave',
  NodeTaskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/pipeweave-node:1',
  NodeContainerName: 'node',
  SubnetIds: 'subnet-00000000000000001,subnet-00000000000000002',
  SecurityGroupIds: 'sg-00000000000000001',
};

export interface TaskContext {
  machine: string;
  executionId: string;
  executionName: string;
  stateName: string;
  /** Set for `.waitForTaskToken` tasks: hand it to the worker, which calls sendTaskSuccess/Failure. */
  taskToken?: string;
  /** Aborted when the execution is stopped. */
  signal: AbortSignal;
}

/**
 * A local implementation of one Task state. It receives the state's effective input (after
 * InputPath/Parameters) and returns what the service integration would return. For
 * `.waitForTaskToken` tasks the return value is ignored: the task's result is the output given
 * to `sendTaskSuccess`.
 */
export type TaskOverride = (
  input: JsonValue,
  context: TaskContext,
) => Promise<JsonValue | void> | JsonValue | void;
export type TaskOverrides = Record<string, TaskOverride>;

export interface MachineRegistration {
  overrides: TaskOverrides;
  /** Per state: milliseconds to wait before each retry instead of the Retry policy's backoff (tests). */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

/** Step Functions' payload quota (256 KB of UTF-8 JSON) for inputs, outputs and task results. */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/**
 * `States.DataLimitExceeded`: terminal, as in AWS (the interpreter reads `isRetryable` and
 * `isCatchable`), so a Retry or Catch on States.ALL does not handle it and Settle does not run.
 */
export class DataLimitExceededError extends Error {
  override name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

function checkPayload(what: string, value: unknown): void {
  const bytes = payloadBytes(value);
  if (bytes > STATE_PAYLOAD_LIMIT_BYTES) {
    throw new DataLimitExceededError(
      `${what} is ${bytes} bytes, over the ${STATE_PAYLOAD_LIMIT_BYTES}-byte quota of Step Functions.`,
    );
  }
}

export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * Adapts a plain function to an `arn:aws:states:::lambda:invoke` Task: it gets the `Payload` and
 * its return value becomes `{ Payload }`. A thrown error fails the Task the way a Lambda function
 * error does: Error is the error's name, Cause the JSON of errorType/errorMessage/trace.
 */
export function lambdaTask<P = JsonValue, R = unknown>(
  fn: (payload: P, context: TaskContext) => Promise<R> | R,
): TaskOverride {
  return async (input, context) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input) || !('Payload' in input)) {
      throw new TaskError(
        'States.Runtime',
        `State "${context.stateName}" is not a lambda:invoke task with a Payload.`,
      );
    }
    let result: R;
    try {
      result = await fn(input['Payload'] as P, context);
    } catch (error) {
      const failure = lambdaErrorCause(error);
      throw new TaskError(failure.Error, failure.Cause);
    }
    return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: toJson(result ?? null) };
  };
}

/**
 * What Step Functions sends to EventBridge when an execution ends ("Step Functions Execution
 * Status Change"), so the local runtime can call the handlers AWS rules target with the same event.
 */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    output: string | null;
  };
}

export type ExecutionStatusListener = (event: ExecutionStatusChangeEvent) => Promise<void> | void;

export interface LocalStepFunctionsOptions {
  /** Machine name (file name without `.asl.json`) → definition text with placeholders. */
  definitions: Record<string, string>;
  substitutions?: Record<string, string>;
  clock?: Clock;
  logger?: Pick<Logger, 'error' | 'warn' | 'debug'>;
  region?: string;
  account?: string;
  /** Events kept per execution for debugging (oldest dropped first). */
  maxEventsPerExecution?: number;
}

interface TaskInfo {
  name: string;
  resource: string;
  callback: boolean;
  heartbeatSeconds: number | undefined;
  timeoutSeconds: number | undefined;
}

interface RegisteredMachine {
  name: string;
  arn: string;
  stateMachine: StateMachine;
  tasks: Map<string, TaskInfo>;
  registration: MachineRegistration;
}

interface ExecutionRecord {
  executionId: string;
  machine: string;
  name: string;
  inputKey: string;
  status: ExecutionStatus;
  startedAt: Date;
  stoppedAt: Date | undefined;
  output: unknown;
  error: string | undefined;
  cause: string | undefined;
  events: unknown[];
  droppedEvents: number;
  abortController: AbortController;
  abortRun: () => void;
  finished: Promise<void>;
  failedAttempts: Map<string, number>;
}

interface PendingTask {
  executionId: string;
  stateName: string;
  resolve: (value: JsonValue) => void;
  reject: (error: Error) => void;
  heartbeatSeconds: number | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  lastHeartbeatAt: Date | undefined;
}

const TIMED_OUT_ERRORS = new Set(['States.Timeout', 'States.HeartbeatTimeout', 'States.Aborted']);

// `$$.State.RetryCount` resolves to this marker; the Task wrapper swaps in the real count.
const RETRY_COUNT_MARKER = -2_147_483_647;

export class LocalStepFunctions implements Orchestrator {
  private readonly definitions = new Map<string, StateMachineDefinition>();
  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly pending = new Map<string, PendingTask>();
  private readonly issuedTokens = new Map<string, string>();
  /** Tokens whose task timed out or was stopped: a late callback gets TASK.TIMED_OUT, as in AWS. */
  private readonly timedOutTokens = new Set<string>();
  private readonly clock: Clock;
  private readonly region: string;
  private readonly account: string;
  private readonly maxEvents: number;
  private readonly statusListeners = new Set<ExecutionStatusListener>();
  /** Set by stopAll: executions stopped by a shutdown are not announced to handlers going away. */
  private closing = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.clock = options.clock ?? systemClock;
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.maxEvents = options.maxEventsPerExecution ?? 2_000;
    for (const [name, text] of Object.entries(options.definitions)) {
      this.definitions.set(
        name,
        parseDefinition(name, substitute(name, text, options.substitutions ?? LOCAL_SUBSTITUTIONS)),
      );
    }
  }

  /** Reads every `*.asl.json` in `directory` (default: the repository's `statemachines/`). */
  static async fromDirectory(
    options: Omit<LocalStepFunctionsOptions, 'definitions'> & { directory?: string },
  ): Promise<LocalStepFunctions> {
    const directory = options.directory ?? path.resolve(import.meta.dirname, '../../statemachines');
    const files = (await readdir(directory)).filter((f) => f.endsWith('.asl.json')).sort();
    const definitions: Record<string, string> = {};
    for (const file of files) {
      definitions[file.slice(0, -'.asl.json'.length)] = await readFile(path.join(directory, file), 'utf8');
    }
    return new LocalStepFunctions({ ...options, definitions });
  }

  machineNames(): string[] {
    return [...this.definitions.keys()];
  }

  /** The substituted definition (for inspection and tests). */
  definition(machine: string): StateMachineDefinition {
    const definition = this.definitions.get(machine);
    if (!definition)
      throw new NotFoundError('State machine', machine, { code: 'ORCHESTRATOR.MACHINE_NOT_FOUND' });
    return structuredClone(definition);
  }

  /**
   * Builds a machine once, after checking that every Task state (inside Map and Parallel too) has
   * an override and that no override names a state that does not exist.
   */
  register(machine: string, registration: MachineRegistration): void {
    const definition = this.definition(machine);
    if (this.machines.has(machine)) throw new Error(`State machine "${machine}" is already registered.`);
    const tasks = collectTasks(definition);
    const missing = [...tasks.keys()].filter((name) => !registration.overrides[name]);
    if (missing.length > 0) {
      throw new Error(
        `State machine "${machine}": Task states without a local override (they would call real AWS): ${missing.join(', ')}.`,
      );
    }
    const unknown = Object.keys(registration.overrides).filter((name) => !tasks.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `State machine "${machine}": overrides for states that are not Tasks of the machine: ${unknown.join(', ')}.`,
      );
    }
    const stateMachine = new StateMachine(definition);
    this.machines.set(machine, {
      name: machine,
      arn: `arn:aws:states:${this.region}:${this.account}:stateMachine:${machine}`,
      stateMachine,
      tasks,
      registration,
    });
  }

  async startExecution(request: StartExecutionRequest): Promise<{ executionId: string; startedAt: Date }> {
    const machine = this.machines.get(request.machine);
    if (!machine) {
      throw new NotFoundError('State machine', request.machine, { code: 'ORCHESTRATOR.MACHINE_NOT_FOUND' });
    }
    if (!isExecutionName(request.name)) {
      throw new ValidationError(
        `"${request.name}" cannot name an execution (1–80 characters, no spaces, control characters or <>{}[]?*"#%\\^|~\`$&,;:/).`,
        { code: 'ORCHESTRATOR.INVALID_EXECUTION_NAME', field: 'name' },
      );
    }
    const input = toJson(request.input);
    if (payloadBytes(input) > STATE_PAYLOAD_LIMIT_BYTES) {
      throw new ValidationError(
        `The execution input is ${payloadBytes(input)} bytes; Step Functions accepts at most ${STATE_PAYLOAD_LIMIT_BYTES}.`,
        { code: 'ORCHESTRATOR.INPUT_TOO_LARGE', field: 'input' },
      );
    }
    const executionId = `arn:aws:states:${this.region}:${this.account}:execution:${machine.name}:${request.name}`;
    const inputKey = stableJson(input);
    const existing = this.executions.get(executionId);
    if (existing) {
      if (existing.inputKey === inputKey) return { executionId, startedAt: new Date(existing.startedAt) };
      throw new ConflictError(
        'EXECUTION.ALREADY_EXISTS',
        `An execution named "${request.name}" of ${machine.name} already exists with a different input.`,
      );
    }

    const abortController = new AbortController();
    const record: ExecutionRecord = {
      executionId,
      machine: machine.name,
      name: request.name,
      inputKey,
      status: 'RUNNING',
      startedAt: this.clock.now(),
      stoppedAt: undefined,
      output: undefined,
      error: undefined,
      cause: undefined,
      events: [],
      droppedEvents: 0,
      abortController,
      abortRun: () => undefined,
      finished: Promise.resolve(),
      failedAttempts: new Map(),
    };
    this.executions.set(executionId, record);

    const run = machine.stateMachine.run(input, this.runOptions(machine, record));
    record.abortRun = run.abort;
    void this.collectEvents(record, run.eventLogs);
    record.finished = run.result.then(
      (output) => this.finish(record, 'SUCCEEDED', { output }),
      (error: unknown) => this.finishWithError(record, error),
    );
    return { executionId, startedAt: new Date(record.startedAt) };
  }

  async stopExecution(executionId: string, reason: { error?: string; cause?: string } = {}): Promise<void> {
    const record = this.record(executionId);
    if (record.status !== 'RUNNING') return;
    this.finish(record, 'ABORTED', { error: reason.error, cause: reason.cause });
    record.abortController.abort();
    record.abortRun();
    for (const [token, task] of this.pending) {
      if (task.executionId === executionId)
        this.settleTask(token, new TaskError('States.Aborted', 'The execution was stopped.'));
    }
  }

  async describeExecution(executionId: string): Promise<ExecutionDescription | undefined> {
    const record = this.executions.get(executionId);
    return record ? describe(record) : undefined;
  }

  async listRunningExecutions(machine: string): Promise<ExecutionSummary[]> {
    if (!this.definitions.has(machine)) {
      throw new NotFoundError('State machine', machine, { code: 'ORCHESTRATOR.MACHINE_NOT_FOUND' });
    }
    return [...this.executions.values()]
      .filter((e) => e.machine === machine && e.status === 'RUNNING')
      .map((e) => ({ executionId: e.executionId, name: e.name, startedAt: new Date(e.startedAt) }));
  }

  /**
   * Calls `listener` (after the current call stack, like an EventBridge delivery) with the
   * status-change event of every execution that ends. Returns the function that removes it.
   */
  onExecutionStatusChange(listener: ExecutionStatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Resolves with the description once the execution has stopped running (for tests and the local runtime). */
  async waitForExecution(
    executionId: string,
    options: { timeoutMs?: number } = {},
  ): Promise<ExecutionDescription> {
    const record = this.record(executionId);
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Execution ${executionId} still ${record.status} after ${timeoutMs} ms.`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([record.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return describe(record);
  }

  /** The interpreter's event log for an execution (state entered/exited/failed/retried/caught…). */
  executionHistory(executionId: string): unknown[] {
    return [...this.record(executionId).events];
  }

  /** Task tokens waiting for a callback, with their last heartbeat. */
  pendingTasks(): { taskToken: string; executionId: string; stateName: string; lastHeartbeatAt?: Date }[] {
    return [...this.pending].map(([taskToken, p]) => ({
      taskToken,
      executionId: p.executionId,
      stateName: p.stateName,
      ...(p.lastHeartbeatAt ? { lastHeartbeatAt: new Date(p.lastHeartbeatAt) } : {}),
    }));
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    this.pendingTask(taskToken);
    const json = toJson(output);
    // AWS refuses the call (the task keeps waiting): the worker learns it, as from SendTaskSuccess.
    if (payloadBytes(json) > STATE_PAYLOAD_LIMIT_BYTES) {
      throw new ValidationError(
        `The task output is ${payloadBytes(json)} bytes; Step Functions accepts at most ${STATE_PAYLOAD_LIMIT_BYTES}.`,
        { code: 'TASK.OUTPUT_TOO_LARGE', field: 'output' },
      );
    }
    this.settleTask(taskToken, json);
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.pendingTask(taskToken);
    this.settleTask(taskToken, new TaskError(error || 'States.TaskFailed', cause));
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    const task = this.pendingTask(taskToken);
    task.lastHeartbeatAt = this.clock.now();
    this.armHeartbeat(taskToken, task);
  }

  healthCheck(): HealthCheck {
    return {
      name: 'orchestrator',
      check: async () => {
        const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING').length;
        return {
          status: 'up',
          detail: `${this.machines.size} machines, ${running} running executions, ${this.pending.size} waiting for callbacks`,
        };
      },
    };
  }

  /** Stops every running execution (shutdown of the local runtime). */
  async stopAll(): Promise<void> {
    this.closing = true;
    const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
    await Promise.all(
      running.map((e) =>
        this.stopExecution(e.executionId, { error: 'Shutdown', cause: 'The local runtime stopped.' }),
      ),
    );
    await Promise.allSettled(running.map((e) => e.finished));
  }

  private runOptions(machine: RegisteredMachine, record: ExecutionRecord): RunOptions {
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const task of machine.tasks.values()) {
      const override = machine.registration.overrides[task.name];
      if (override) handlers[task.name] = (input) => this.runTask(machine, record, task, override, input);
    }
    const issueToken = () => {
      const token = randomBytes(48).toString('base64url');
      this.issuedTokens.set(token, record.executionId);
      return token;
    };
    return {
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(machine.registration.retryIntervalOverrides
          ? { retryIntervalOverrides: machine.registration.retryIntervalOverrides }
          : {}),
      },
      context: {
        Execution: {
          Id: record.executionId,
          Name: record.name,
          RoleArn: `arn:aws:iam::${this.account}:role/pipeweave-local`,
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // A getter: every evaluation of $$.Task.Token (each attempt of each Task) gets a fresh token.
        Task: {
          get Token() {
            return issueToken();
          },
        },
        State: { RetryCount: RETRY_COUNT_MARKER },
      },
    };
  }

  private async runTask(
    machine: RegisteredMachine,
    record: ExecutionRecord,
    task: TaskInfo,
    override: TaskOverride,
    rawInput: JsonValue,
  ): Promise<JsonValue> {
    // Let the event log catch up first: a state output over the quota, seen there, has failed the
    // execution, and AWS would not have started this task.
    await new Promise((resolve) => setImmediate(resolve));
    // After a stop the interpreter may still start a queued Map iteration or a retry: do not run it.
    if (record.status !== 'RUNNING')
      throw new TaskError('States.Aborted', 'The execution is no longer running.');
    checkPayload(`The input of state "${task.name}" (after Parameters)`, rawInput);
    const tokens = new Set<string>();
    const attemptKey = `${task.name}\u0000${stableJson(rawInput, (s) => (this.issuedTokens.has(s) ? (tokens.add(s), '<token>') : s))}`;
    const attempt = record.failedAttempts.get(attemptKey) ?? 0;
    const input = replaceMarker(rawInput, attempt);
    const context: TaskContext = {
      machine: machine.name,
      executionId: record.executionId,
      executionName: record.name,
      stateName: task.name,
      signal: record.abortController.signal,
    };
    try {
      let result: JsonValue;
      if (task.callback) {
        if (tokens.size !== 1) {
          throw new TaskError(
            'States.Runtime',
            `Task "${task.name}" must pass exactly one $$.Task.Token in its Parameters.`,
          );
        }
        const [taskToken] = [...tokens] as [string];
        result = await this.runCallbackTask(record, task, override, input, { ...context, taskToken });
      } else {
        result = toJson((await override(input, context)) ?? null);
      }
      checkPayload(`The result of state "${task.name}"`, result);
      record.failedAttempts.delete(attemptKey);
      return result;
    } catch (error) {
      record.failedAttempts.set(attemptKey, attempt + 1);
      throw error;
    } finally {
      for (const token of tokens) if (!this.pending.has(token)) this.issuedTokens.delete(token);
    }
  }

  private runCallbackTask(
    record: ExecutionRecord,
    task: TaskInfo,
    override: TaskOverride,
    input: JsonValue,
    context: TaskContext & { taskToken: string },
  ): Promise<JsonValue> {
    const token = context.taskToken;
    const result = new Promise<JsonValue>((resolve, reject) => {
      const pending: PendingTask = {
        executionId: record.executionId,
        stateName: task.name,
        resolve,
        reject,
        heartbeatSeconds: task.heartbeatSeconds,
        heartbeatTimer: undefined,
        timeoutTimer: undefined,
        lastHeartbeatAt: undefined,
      };
      this.pending.set(token, pending);
      this.armHeartbeat(token, pending);
      if (task.timeoutSeconds !== undefined) {
        pending.timeoutTimer = setTimeout(
          () =>
            this.settleTask(
              token,
              new TaskError('States.Timeout', `No callback within ${task.timeoutSeconds} s.`),
            ),
          task.timeoutSeconds * 1000,
        );
        pending.timeoutTimer.unref();
      }
    });
    // The override launches the work (RunTask); its failure fails the Task, its result is not the output.
    Promise.resolve()
      .then(() => override(input, context))
      .catch((error: unknown) => {
        if (this.pending.has(token)) {
          this.settleTask(
            token,
            error instanceof Error ? error : new TaskError('States.TaskFailed', String(error)),
          );
        }
      });
    return result;
  }

  private armHeartbeat(token: string, task: PendingTask): void {
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    if (task.heartbeatSeconds === undefined) return;
    task.heartbeatTimer = setTimeout(
      () =>
        this.settleTask(
          token,
          new TaskError('States.HeartbeatTimeout', `No heartbeat within ${task.heartbeatSeconds} s.`),
        ),
      task.heartbeatSeconds * 1000,
    );
    task.heartbeatTimer.unref();
  }

  private settleTask(token: string, outcome: JsonValue | Error): void {
    const task = this.pending.get(token);
    if (!task) return;
    this.pending.delete(token);
    this.issuedTokens.delete(token);
    if (outcome instanceof TaskError && TIMED_OUT_ERRORS.has(outcome.name)) {
      this.timedOutTokens.add(token);
      // Bounded memory: forget the oldest.
      if (this.timedOutTokens.size > 10_000)
        this.timedOutTokens.delete(this.timedOutTokens.values().next().value ?? '');
    }
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    if (task.timeoutTimer) clearTimeout(task.timeoutTimer);
    if (outcome instanceof Error) task.reject(outcome);
    else task.resolve(outcome);
  }

  private pendingTask(taskToken: string): PendingTask {
    const task = this.pending.get(taskToken);
    if (task) return task;
    if (this.timedOutTokens.has(taskToken)) {
      throw new ConflictError(
        'TASK.TIMED_OUT',
        'The workflow task already timed out; its result is no longer accepted.',
      );
    }
    throw new NotFoundError('Task', undefined, {
      details: { reason: 'The task token is unknown, or its task already completed.' },
    });
  }

  private record(executionId: string): ExecutionRecord {
    const record = this.executions.get(executionId);
    if (!record)
      throw new NotFoundError('Execution', executionId, { code: 'ORCHESTRATOR.EXECUTION_NOT_FOUND' });
    return record;
  }

  private finish(
    record: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    details: { output?: unknown; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stoppedAt = this.clock.now();
    record.output = details.output;
    record.error = details.error;
    record.cause = details.cause;
    this.announce(record);
  }

  private announce(record: ExecutionRecord): void {
    if (this.closing || this.statusListeners.size === 0) return;
    const machine = this.machines.get(record.machine);
    const time = record.stoppedAt ?? this.clock.now();
    const event: ExecutionStatusChangeEvent = {
      version: '0',
      id: randomBytes(16).toString('hex'),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.account,
      time: time.toISOString(),
      region: this.region,
      resources: [record.executionId],
      detail: {
        executionArn: record.executionId,
        stateMachineArn:
          machine?.arn ?? `arn:aws:states:${this.region}:${this.account}:stateMachine:${record.machine}`,
        name: record.name,
        status: record.status,
        startDate: record.startedAt.getTime(),
        stopDate: record.stoppedAt ? record.stoppedAt.getTime() : null,
        input: record.inputKey,
        output: record.output === undefined ? null : JSON.stringify(record.output),
      },
    };
    for (const listener of this.statusListeners) {
      setImmediate(() => {
        Promise.resolve()
          .then(() => listener(structuredClone(event)))
          .catch((error: unknown) =>
            this.options.logger?.error('An execution status listener failed', {
              executionId: record.executionId,
              error,
            }),
          );
      });
    }
  }

  private finishWithError(record: ExecutionRecord, error: unknown): void {
    if (error instanceof ExecutionAbortedError) {
      this.finish(record, 'ABORTED', {});
    } else if (error instanceof ExecutionTimeoutError) {
      this.finish(record, 'TIMED_OUT', {
        error: 'States.Timeout',
        cause: 'The execution ran longer than its TimeoutSeconds.',
      });
    } else if (error instanceof ExecutionError && error.cause instanceof Error) {
      this.finish(record, 'FAILED', { error: error.cause.name, cause: error.cause.message });
    } else {
      this.options.logger?.error('Local state machine crashed', { executionId: record.executionId, error });
      this.finish(record, 'FAILED', {
        error: 'States.Runtime',
        cause: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * State inputs and outputs, Map iteration outputs and a Map's collected results (the sum of its
   * iterations' outputs), from the interpreter's event log: over the quota, the execution fails
   * with States.DataLimitExceeded.
   */
  private checkEventPayloads(
    record: ExecutionRecord,
    event: unknown,
    mapResults: WeakMap<object, number>,
  ): void {
    if (record.status !== 'RUNNING') return;
    const e = event as {
      type?: string;
      state?: { name?: string; input?: unknown; output?: unknown };
      parentState?: { name?: string; input?: unknown };
      output?: unknown;
      index?: number;
    };
    try {
      if (e.type === 'StateEntered') checkPayload(`The input of state "${e.state?.name}"`, e.state?.input);
      if (e.type === 'StateExited') checkPayload(`The output of state "${e.state?.name}"`, e.state?.output);
      if (e.type === 'MapIterationSucceeded') {
        const map = e.parentState?.name ?? 'Map';
        checkPayload(`The output of iteration ${e.index ?? '?'} of Map "${map}"`, e.output);
        const instance = e.parentState?.input;
        if (instance !== null && typeof instance === 'object') {
          // The collected array: every iteration's output, a comma between them, two brackets.
          const total = (mapResults.get(instance) ?? 1) + payloadBytes(e.output ?? null) + 1;
          mapResults.set(instance, total);
          if (total > STATE_PAYLOAD_LIMIT_BYTES) {
            throw new DataLimitExceededError(
              `The results of Map "${map}" add up to ${total} bytes, over the ${STATE_PAYLOAD_LIMIT_BYTES}-byte quota of Step Functions.`,
            );
          }
        }
      }
    } catch (error) {
      if (!(error instanceof DataLimitExceededError)) throw error;
      this.failExecution(record, error);
    }
  }

  /** Ends a running execution as FAILED (a terminal error the interpreter itself does not raise). */
  private failExecution(record: ExecutionRecord, error: Error): void {
    this.finish(record, 'FAILED', { error: error.name, cause: error.message });
    record.abortController.abort();
    record.abortRun();
    for (const [token, task] of this.pending) {
      if (task.executionId === record.executionId)
        this.settleTask(token, new TaskError('States.Aborted', 'The execution failed.'));
    }
  }

  private async collectEvents(record: ExecutionRecord, events: AsyncGenerator<unknown>): Promise<void> {
    try {
      const mapResults = new WeakMap<object, number>();
      for await (const event of events) {
        this.checkEventPayloads(record, event, mapResults);
        record.events.push(event);
        if (record.events.length > this.maxEvents) {
          record.events.shift();
          record.droppedEvents++;
        }
      }
    } catch (error) {
      this.options.logger?.warn('Could not read the execution event log', {
        executionId: record.executionId,
        error,
      });
    }
  }
}

function describe(record: ExecutionRecord): ExecutionDescription {
  return {
    executionId: record.executionId,
    name: record.name,
    status: record.status,
    startedAt: new Date(record.startedAt),
    ...(record.stoppedAt ? { stoppedAt: new Date(record.stoppedAt) } : {}),
    ...(record.output !== undefined ? { output: structuredClone(record.output) } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

function substitute(machine: string, text: string, substitutions: Record<string, string>): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const value = substitutions[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    // Values land inside JSON strings.
    return JSON.stringify(value).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new Error(
      `State machine "${machine}" uses placeholders with no substitution: ${[...missing].join(', ')}.`,
    );
  }
  return out;
}

function parseDefinition(machine: string, text: string): StateMachineDefinition {
  try {
    return JSON.parse(text) as StateMachineDefinition;
  } catch (error) {
    throw new Error(
      `State machine "${machine}" is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

type Branch = Pick<StateMachineDefinition, 'States'>;

/** Every Task state, including those inside Map item processors and Parallel branches. */
export function collectTasks(definition: Branch): Map<string, TaskInfo> {
  const tasks = new Map<string, TaskInfo>();
  const walk = (branch: Branch) => {
    for (const [name, state] of Object.entries(branch.States)) {
      if (state.Type === 'Task') {
        if (tasks.has(name)) {
          throw new Error(
            `Task state name "${name}" is used twice: local overrides are keyed by state name.`,
          );
        }
        tasks.set(name, {
          name,
          resource: state.Resource,
          callback: state.Resource.endsWith('.waitForTaskToken'),
          heartbeatSeconds: numberField(state, 'HeartbeatSeconds'),
          timeoutSeconds: state.TimeoutSeconds,
        });
      } else if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor) walk(processor);
      } else if (state.Type === 'Parallel') {
        for (const b of state.Branches) walk(b);
      }
    }
  };
  walk(definition);
  return tasks;
}

/** The execution-name rule of StartExecution. */
function isExecutionName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name)) return false;
  return ![...name].some((c) => {
    const code = c.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
}

function numberField(state: object, field: string): number | undefined {
  const value = (state as Record<string, unknown>)[field];
  return typeof value === 'number' ? value : undefined;
}

function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function replaceMarker(value: JsonValue, attempt: number): JsonValue {
  if (value === RETRY_COUNT_MARKER) return attempt;
  if (Array.isArray(value)) return value.map((v) => replaceMarker(v, attempt));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceMarker(v, attempt)]));
  }
  return value;
}

/** JSON with sorted keys, so equal inputs compare equal whatever their key order. */
function stableJson(value: JsonValue, mapString: (s: string) => string = (s) => s): string {
  if (typeof value === 'string') return JSON.stringify(mapString(value));
  if (Array.isArray(value)) return `[${value.map((v) => stableJson(v, mapString)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k] ?? null, mapString)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
