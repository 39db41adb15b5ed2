import { ConflictError, NotFoundError } from '../../../shared/kernel/app-error';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { sharpImageCodec } from '../../../shared/adapters/image/sharp-image-codec';
import { ffmpegTranscoder } from '../../../shared/adapters/media/ffmpeg-transcoder';
import type { NodeResult } from '../../../shared/domain/nodes/node-definition';
import { nodeRegistry, type NodeRegistry } from '../../../shared/domain/nodes/registry';
import type { OpenSqlEngine } from '../../../shared/ports/sql-engine.port';
import { lambdaErrorCause } from '../../../shared/domain/runs/run-errors';
import { databaseMonitoringRecords } from '../../../shared/domain/monitoring/records/monitoring-records';
import { runJobNode } from '../../../shared/domain/runs/run-job-node';
import type { Services } from '../../../shared/ports/services';

/**
 * The Fargate host of a node (RunFargateNode, `ecs:runTask.waitForTaskToken`): the container is
 * started with PW_TASK_TOKEN, PW_JOB_ID and PW_NODE_ID, runs the node with the same code as the
 * node-runner Lambda, sends task heartbeats while it works, and reports the node's output with
 * SendTaskSuccess (or its error with SendTaskFailure, Cause shaped like a Lambda error's). The
 * local runtime calls `runFargateNode` in-process with its own task token; the container's
 * entry is fargate-node-entrypoint.ts.
 */
export interface FargateNodeTask {
  taskToken: string;
  jobId: string;
  nodeId: string;
}

export interface FargateNodeOptions {
  registry?: NodeRegistry;
  openEngine?: OpenSqlEngine;
  heartbeatIntervalMs?: number;
  /** SendTaskHeartbeat period (default 60 s), independent of the database heartbeat. */
  taskHeartbeatIntervalMs?: number;
  signal?: AbortSignal;
  /** DuckDB limits: the task has 8 GB and 2 vCPUs. */
  engine?: { threads?: number; memoryLimitMb?: number };
}

export async function runFargateNode(
  services: Pick<Services, 'db' | 'blobs' | 'clock' | 'logger' | 'orchestrator'> &
    Partial<Pick<Services, 'config'>>,
  task: FargateNodeTask,
  options: FargateNodeOptions = {},
): Promise<{ status: 'succeeded'; output: NodeResult } | { status: 'failed'; error: string }> {
  const abort = new AbortController();
  const forward = () => abort.abort();
  options.signal?.addEventListener('abort', forward);
  try {
    const output = await runJobNode(
      {
        services,
        registry: options.registry ?? nodeRegistry,
        openEngine: options.openEngine ?? openDuckDbEngine,
        images: sharpImageCodec,
        media: ffmpegTranscoder,
        monitoring: (scope) => databaseMonitoringRecords(services, scope),
        engine: options.engine ?? { threads: 2, memoryLimitMb: 6144 },
        signal: abort.signal,
        ...(options.heartbeatIntervalMs !== undefined
          ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
          : {}),
        taskHeartbeat: {
          ...(options.taskHeartbeatIntervalMs !== undefined
            ? { intervalMs: options.taskHeartbeatIntervalMs }
            : {}),
          beat: async () => {
            try {
              await services.orchestrator.sendTaskHeartbeat(task.taskToken);
            } catch (error) {
              // The workflow gave up on this task (timed out, execution stopped: ConflictError) or
              // no longer knows its token (expired, already closed: NotFoundError). Nobody will
              // read the result: stop the node instead of working on for hours.
              if (error instanceof ConflictError || error instanceof NotFoundError) abort.abort();
              else throw error;
            }
          },
        },
      },
      { jobId: task.jobId, nodeId: task.nodeId, attempt: 0 },
    );
    await services.orchestrator.sendTaskSuccess(task.taskToken, output);
    return { status: 'succeeded', output };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const failure = lambdaErrorCause(error);
    try {
      await services.orchestrator.sendTaskFailure(task.taskToken, failure.Error, failure.Cause);
    } catch (reportError) {
      services.logger.warn('could not report the node failure to the workflow', {
        jobId: task.jobId,
        nodeId: task.nodeId,
        error: reportError,
      });
    }
    return { status: 'failed', error: message };
  } finally {
    options.signal?.removeEventListener('abort', forward);
  }
}
