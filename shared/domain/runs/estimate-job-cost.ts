import type { NodeCostModel } from '../pipelines/node-type';

/**
 * Credits of a run, from each node type's cost model: `baseCredits + rows / 1e6 ×
 * perMillionRowsCredits` per node, summed, rounded up to whole credits once (so many small nodes
 * are not each rounded up).
 */
export function nodeCredits(costModel: NodeCostModel, inputRows: number): number {
  const rows = Number.isFinite(inputRows) && inputRows > 0 ? inputRows : 0;
  return costModel.baseCredits + (rows / 1_000_000) * costModel.perMillionRowsCredits;
}

export interface CostedNode {
  nodeId: string;
  costModel: NodeCostModel;
  /** Rows the node reads (all its inputs together). */
  inputRows: number;
}

export interface JobCostEstimate {
  credits: number;
  perNode: Record<string, number>;
}

export function totalCredits(nodes: readonly CostedNode[]): JobCostEstimate {
  const perNode: Record<string, number> = {};
  let sum = 0;
  for (const node of nodes) {
    const credits = nodeCredits(node.costModel, node.inputRows);
    perNode[node.nodeId] = Math.round(credits * 1e6) / 1e6;
    sum += credits;
  }
  // Float noise (3.0000000001) must not cost a whole extra credit.
  return { credits: Math.ceil(Math.round(sum * 1e6) / 1e6), perNode };
}

/**
 * Before a run, the rows each node will read are unknown: every node is priced as if it read the
 * dataset version's rows once per input port (a join reads two tables), sources as reading it once.
 */
export function estimateJobCost(
  nodes: readonly { nodeId: string; costModel: NodeCostModel; inputPortCount: number }[],
  datasetRows: number,
): JobCostEstimate {
  return totalCredits(
    nodes.map((node) => ({
      nodeId: node.nodeId,
      costModel: node.costModel,
      inputRows: datasetRows * Math.max(1, node.inputPortCount),
    })),
  );
}

/** What a finished run is charged: the nodes that succeeded, on the rows they actually read, never above the reservation. */
export function usedCredits(nodes: readonly CostedNode[], reserved: number): number {
  return Math.min(reserved, totalCredits(nodes).credits);
}
