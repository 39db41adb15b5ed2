import type { NodeRuntime } from '../../db/schema';
import { nodeRegistry, type NodeRegistry } from './registry';

/**
 * Where one node of a job runs: its type's runtime, unless the node's implementation says its
 * params need another (an AutoML search longer than a Lambda may run goes to Fargate). Params
 * that do not parse leave the type's runtime: validation has refused them before a job starts.
 */
export function runtimeForNode(
  nodeType: string,
  typeRuntime: NodeRuntime,
  params: unknown,
  registry: NodeRegistry = nodeRegistry,
): NodeRuntime {
  if (!registry.has(nodeType)) return typeRuntime;
  const node = registry.get(nodeType);
  const parsed = node.params.safeParse(params ?? {});
  return (parsed.success ? node.runtimeFor?.(parsed.data) : undefined) ?? typeRuntime;
}
