import * as z from 'zod';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import { sharpImageCodec } from '../../../shared/adapters/image/sharp-image-codec';
import { ffmpegTranscoder } from '../../../shared/adapters/media/ffmpeg-transcoder';
import type { NodeResult } from '../../../shared/domain/nodes/node-definition';
import { nodeRegistry, type NodeRegistry } from '../../../shared/domain/nodes/registry';
import type { OpenSqlEngine } from '../../../shared/ports/sql-engine.port';
import { databaseMonitoringRecords } from '../../../shared/domain/monitoring/records/monitoring-records';
import { runJobNode } from '../../../shared/domain/runs/run-job-node';
import { invocationDeadline, type TimedContext } from '../../../shared/runtime/invocation-deadline';
import type { Services } from '../../../shared/ports/services';

/**
 * The node-runner Lambda (RunLambdaNode): `{ jobId, nodeId, attempt }` in, the node's output (object
 * keys and metrics) out. The local runtime calls the same handler in-process.
 */
export const nodeRunnerEventSchema = z.object({
  jobId: z.uuid(),
  nodeId: z.string().min(1).max(64),
  attempt: z.number().int().min(0).default(0),
});

export interface NodeRunnerOptions {
  registry?: NodeRegistry;
  openEngine?: OpenSqlEngine;
  heartbeatIntervalMs?: number;
  /** DuckDB limits: the Lambda has 3 GB and 2 vCPUs. */
  engine?: { threads?: number; memoryLimitMb?: number };
  /** Scratch root (default the OS temp dir, /tmp on Lambda). */
  tempRoot?: string;
  /**
   * Remove scratch directories left by an earlier invocation stopped at its timeout. Default: on
   * AWS, where each process runs one invocation at a time; never locally, where nodes share one.
   */
  removeLeftoverScratch?: boolean;
}

export function makeNodeRunnerHandler(
  getServices: () => Services | Promise<Services>,
  options: NodeRunnerOptions = {},
) {
  const openEngine = options.openEngine ?? openDuckDbEngine;
  return async (event: unknown, context?: { signal?: AbortSignal } & TimedContext): Promise<NodeResult> => {
    const startedAt = new Date();
    const services = await getServices();
    const request = nodeRunnerEventSchema.parse(event);
    // Stop ~30 s before Lambda's timeout so the scratch directory goes and the failure is recorded.
    const deadline = invocationDeadline(context);
    const removeLeftovers = options.removeLeftoverScratch ?? services.config.runtime === 'aws';
    try {
      return await runJobNode(
        {
          services,
          registry: options.registry ?? nodeRegistry,
          openEngine,
          images: sharpImageCodec,
          media: ffmpegTranscoder,
          monitoring: (scope) => databaseMonitoringRecords(services, scope),
          engine: options.engine ?? { threads: 2, memoryLimitMb: 2048 },
          ...(options.heartbeatIntervalMs !== undefined
            ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
            : {}),
          ...(context?.signal ? { signal: context.signal } : {}),
          ...(deadline ? { deadline: deadline.signal } : {}),
          ...(removeLeftovers ? { leftoverScratchBefore: startedAt } : {}),
          ...(options.tempRoot ? { tempRoot: options.tempRoot } : {}),
        },
        request,
      );
    } finally {
      deadline?.dispose();
    }
  };
}
