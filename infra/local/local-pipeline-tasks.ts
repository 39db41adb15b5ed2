import { asRecord } from '../../shared/kernel/as-record';
import type { Services } from '../../shared/ports/services';
import { makeSweepJobsHandler } from '../../functions/schedules/sweep-jobs/sweep-jobs-handler';
import { makeNodeRunnerHandler } from '../../functions/pipeline/node-runner/node-runner-handler';
import { makePipelineControlHandler } from '../../functions/pipeline/pipeline-control/pipeline-control-handler';
import { runFargateNode } from '../../functions/pipeline/fargate-node/fargate-node-handler';

/**
 * The run-pipeline Tasks and the job sweeper for the local runtime, built from the same handlers
 * the Lambda functions and the Fargate container run. infra/local/local-platform.ts registers
 * them as the state machine's Task overrides and as a fixed schedule.
 */
export interface LocalPipelineTasks {
  /** PlanStages, CheckStage, RecordNodeSuccess, RecordNodeFailure, Settle (a lambda:invoke Payload). */
  control(payload: unknown): Promise<unknown>;
  /** RunLambdaNode (a lambda:invoke Payload). */
  runLambdaNode(payload: unknown, context: { signal: AbortSignal }): Promise<unknown>;
  /**
   * RunFargateNode: reads the container environment from the RunTask parameters, as ECS would
   * hand it to the container, and runs the node in-process; the result goes back through the
   * task token (sendTaskSuccess/Failure), as from the container.
   */
  runFargateNode(input: unknown, context: { taskToken?: string; signal: AbortSignal }): Promise<void>;
  sweepJobs(event: unknown): Promise<unknown>;
}

/** One node at a time on a laptop: DuckDB gets one thread and a modest memory limit. */
const LOCAL_ENGINE = { threads: 1, memoryLimitMb: 512 };

export function localPipelineTasks(services: Services): LocalPipelineTasks {
  const getServices = () => services;
  const control = makePipelineControlHandler(getServices);
  const nodeRunner = makeNodeRunnerHandler(getServices, { engine: LOCAL_ENGINE });
  const sweep = makeSweepJobsHandler(getServices);
  return {
    control,
    runLambdaNode: (payload, context) => nodeRunner(payload, { signal: context.signal }),
    async runFargateNode(input, context) {
      const env = containerEnvironment(input);
      const taskToken = context.taskToken ?? env['PW_TASK_TOKEN'];
      const jobId = env['PW_JOB_ID'];
      const nodeId = env['PW_NODE_ID'];
      if (!taskToken || !jobId || !nodeId)
        throw new Error(
          'RunFargateNode: the container overrides lack PW_TASK_TOKEN, PW_JOB_ID or PW_NODE_ID.',
        );
      await runFargateNode(
        services,
        { taskToken, jobId, nodeId },
        { signal: context.signal, engine: LOCAL_ENGINE },
      );
    },
    sweepJobs: (event) => sweep(event),
  };
}

/** `Overrides.ContainerOverrides[0].Environment` of an ECS RunTask request, as a map. */
function containerEnvironment(input: unknown): Record<string, string> {
  const overrides = asRecord(asRecord(input)?.['Overrides'])?.['ContainerOverrides'];
  const first = Array.isArray(overrides) ? overrides[0] : undefined;
  const environment = asRecord(first)?.['Environment'];
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(environment) ? environment : []) {
    const name = asRecord(entry)?.['Name'];
    const value = asRecord(entry)?.['Value'];
    if (typeof name === 'string' && typeof value === 'string') env[name] = value;
  }
  return env;
}
