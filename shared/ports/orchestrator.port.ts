/** Workflow executions (Step Functions in AWS, the local States-Language interpreter on one machine). */
export type ExecutionStatus =
  'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionDescription {
  executionId: string;
  name: string;
  status: ExecutionStatus;
  startedAt: Date;
  stoppedAt?: Date;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** An execution as listed (ListExecutions gives no input, output or error). */
export interface ExecutionSummary {
  executionId: string;
  /** For run-pipeline, the job id. */
  name: string;
  startedAt: Date;
}

export interface StartExecutionRequest {
  /** Machine name as in `statemachines/{machine}.asl.json`, e.g. `run-pipeline`. */
  machine: string;
  /** Unique per machine; starting the same name twice with the same input is idempotent. */
  name: string;
  input: unknown;
}

export interface Orchestrator {
  startExecution(request: StartExecutionRequest): Promise<{ executionId: string; startedAt: Date }>;
  stopExecution(executionId: string, reason?: { error?: string; cause?: string }): Promise<void>;
  /** Returns undefined when the execution does not exist. */
  describeExecution(executionId: string): Promise<ExecutionDescription | undefined>;
  /** Every execution of `machine` that is still RUNNING (all pages). */
  listRunningExecutions(machine: string): Promise<ExecutionSummary[]>;
  /** Callbacks for `.waitForTaskToken` tasks (Fargate nodes). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
  sendTaskHeartbeat(taskToken: string): Promise<void>;
}
