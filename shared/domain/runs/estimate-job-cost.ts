import type { NodeRuntime } from '../../db/schema';
import {
  chargeForSeconds,
  expectedSeconds,
  totalCredits,
  type ExpectedDuration,
  type NodeCharge,
} from '../billing/compute-cost';

/**
 * What a run costs: before it starts, each node priced for how long its type is expected to run
 * on the runtime it will run on; when it ends, each node that finished priced for how long it
 * actually ran (billing/compute-cost.ts).
 */

export interface PlannedNode {
  nodeId: string;
  runtime: NodeRuntime;
  duration: ExpectedDuration;
  inputPortCount: number;
  /** Seconds the node runs to whatever its input (an AutoML budget). */
  budgetSeconds?: number | undefined;
}

export interface NodeCost extends NodeCharge {
  nodeId: string;
}

export interface JobCostEstimate {
  /** Whole credits the run reserves. */
  credits: number;
  nodes: NodeCost[];
}

/**
 * Before a run, the rows each node will read are unknown: every node is priced as if it read the
 * dataset version's rows once per input port (a join reads two tables), sources as reading it once.
 */
export function estimateJobCost(nodes: readonly PlannedNode[], datasetRows: number): JobCostEstimate {
  const costs = nodes.map((node): NodeCost => {
    const rows = datasetRows * Math.max(1, node.inputPortCount);
    const seconds = expectedSeconds(node.duration, rows, node.budgetSeconds);
    return { nodeId: node.nodeId, ...chargeForSeconds(node.runtime, seconds) };
  });
  return { credits: totalCredits(costs), nodes: costs };
}

/** A node as it ran. */
export interface RanNode {
  nodeId: string;
  runtime: NodeRuntime;
  status: string;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** What each node that finished was billed for, from its measured run time. */
export function ranNodeCosts(nodes: readonly RanNode[]): NodeCost[] {
  return nodes
    .filter((node) => node.status === 'success')
    .map((node) => {
      // A node whose start was not recorded is billed the minimum.
      const seconds =
        node.startedAt && node.completedAt
          ? (node.completedAt.getTime() - node.startedAt.getTime()) / 1000
          : 0;
      return { nodeId: node.nodeId, ...chargeForSeconds(node.runtime, seconds) };
    });
}

export interface RunUsage {
  /** Credits the run is charged: what its finished nodes cost, never more than was reserved. */
  used: number;
  /** What the nodes cost beyond the reservation: recorded, not charged. */
  overrun: number;
  nodes: NodeCost[];
}

/** What a run is charged: the nodes that finished, on their measured time, never above the reservation. */
export function runUsage(nodes: readonly RanNode[], reserved: number): RunUsage {
  const costs = ranNodeCosts(nodes);
  const cost = totalCredits(costs);
  const used = Math.min(reserved, cost);
  return { used, overrun: cost - used, nodes: costs };
}
