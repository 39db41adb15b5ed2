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

/**
 * The budget one node of a job runs to, in seconds, when its implementation has one for these
 * params (an AutoML search's time budget with its default applied); undefined otherwise.
 */
export function budgetSecondsForNode(
  nodeType: string,
  params: unknown,
  registry: NodeRegistry = nodeRegistry,
): number | undefined {
  if (!registry.has(nodeType)) return undefined;
  const node = registry.get(nodeType);
  const parsed = node.params.safeParse(params ?? {});
  return parsed.success ? node.budgetSecondsFor?.(parsed.data) : undefined;
}
