import { z } from 'zod';
import { DuckDbTableEngine } from '../../shared/adapters/duckdb/duckdb-tables';
import type { NodeResult } from '../../shared/nodes/node-definition';
import { nodeRegistry, type NodeRegistry } from '../../shared/nodes/registry';
import type { TableEngine } from '../../shared/nodes/table-engine.port';
import { runJobNode } from '../../shared/pipelines/runs/run-job-node';
import type { Services } from '../../shared/services';

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
  tables?: TableEngine;
  heartbeatIntervalMs?: number;
  /** DuckDB limits: the Lambda has 3 GB and 2 vCPUs. */
  engine?: { threads?: number; memoryLimitMb?: number };
}

export function makeNodeRunnerHandler(
  getServices: () => Services | Promise<Services>,
  options: NodeRunnerOptions = {},
) {
  const tables = options.tables ?? new DuckDbTableEngine();
  return async (event: unknown, context?: { signal?: AbortSignal }): Promise<NodeResult> => {
    const services = await getServices();
    const request = nodeRunnerEventSchema.parse(event);
    return runJobNode(
      {
        services,
        registry: options.registry ?? nodeRegistry,
        tables,
        engine: options.engine ?? { threads: 2, memoryLimitMb: 2048 },
        ...(options.heartbeatIntervalMs !== undefined
          ? { heartbeatIntervalMs: options.heartbeatIntervalMs }
          : {}),
        ...(context?.signal ? { signal: context.signal } : {}),
      },
      request,
    );
  };
}
