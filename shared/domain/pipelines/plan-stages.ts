import { ValidationError } from '../../kernel/app-error';

/**
 * Pure planning of a pipeline DAG into stages (topological levels). Stage k holds the nodes whose
 * longest path from a root has k edges, so every node runs after all of its inputs, and the nodes
 * of one stage are independent of each other and may run in parallel. The descendants of a node
 * always sit in strictly later stages, which is what lets the run stop launching work after a
 * failure without a per-node check.
 */
export interface PipelineGraphNode {
  id: string;
  type: string;
}

export interface PipelineGraphEdge {
  from: string;
  to: string;
}

export interface PipelineGraph {
  nodes: readonly PipelineGraphNode[];
  edges: readonly PipelineGraphEdge[];
}

/** Node ids per stage, in execution order; ids inside a stage are sorted for a deterministic plan. */
export type StagePlan = string[][];

export class PipelineGraphError extends ValidationError {
  constructor(message: string, code: string, details: Record<string, unknown>) {
    super(message, { code, field: 'definition', details });
  }
}

interface Adjacency {
  children: Map<string, string[]>;
  parents: Map<string, string[]>;
}

function buildAdjacency(graph: PipelineGraph): Adjacency {
  const children = new Map<string, string[]>();
  const parents = new Map<string, string[]>();
  for (const node of graph.nodes) {
    if (children.has(node.id)) {
      throw new PipelineGraphError(
        `Node id "${node.id}" is used more than once.`,
        'PIPELINE.DUPLICATE_NODE',
        {
          nodeId: node.id,
        },
      );
    }
    children.set(node.id, []);
    parents.set(node.id, []);
  }
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    const fromChildren = children.get(edge.from);
    const toParents = parents.get(edge.to);
    if (!fromChildren || !toParents) {
      const missing = fromChildren ? edge.to : edge.from;
      throw new PipelineGraphError(
        `Edge ${edge.from} → ${edge.to} refers to node "${missing}", which does not exist.`,
        'PIPELINE.UNKNOWN_NODE',
        { edge, nodeId: missing },
      );
    }
    if (edge.from === edge.to) {
      throw new PipelineGraphError(
        `Node "${edge.from}" feeds itself: the pipeline has a cycle.`,
        'PIPELINE.CYCLE',
        {
          cycle: [edge.from],
        },
      );
    }
    const key = `${edge.from}\u0000${edge.to}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fromChildren.push(edge.to);
    toParents.push(edge.from);
  }
  for (const list of children.values()) list.sort();
  for (const list of parents.values()) list.sort();
  return { children, parents };
}

/** Finds one cycle among `remaining` nodes (all of which are on or behind a cycle) for the error message. */
function findCycle(remaining: Set<string>, children: Map<string, string[]>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const child of children.get(id) ?? []) {
      if (!remaining.has(child)) continue;
      const childState = state.get(child);
      if (childState === 'visiting') return stack.slice(stack.indexOf(child));
      if (childState === undefined) {
        const found = visit(child);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [...remaining].sort()) {
    if (state.has(id)) continue;
    const found = visit(id);
    if (found) return found;
  }
  return [...remaining].sort();
}

/** Levels the DAG into stages; throws PipelineGraphError (code PIPELINE.CYCLE, naming the nodes) on a cycle. */
export function planStages(graph: PipelineGraph): StagePlan {
  const { children, parents } = buildAdjacency(graph);
  const pendingParents = new Map<string, number>();
  for (const [id, list] of parents) pendingParents.set(id, list.length);

  const stages: StagePlan = [];
  let current = [...pendingParents]
    .filter(([, count]) => count === 0)
    .map(([id]) => id)
    .sort();
  let placed = 0;
  while (current.length > 0) {
    stages.push(current);
    placed += current.length;
    const next: string[] = [];
    for (const id of current) {
      for (const child of children.get(id) ?? []) {
        const left = (pendingParents.get(child) ?? 0) - 1;
        pendingParents.set(child, left);
        if (left === 0) next.push(child);
      }
    }
    current = next.sort();
  }

  if (placed < graph.nodes.length) {
    const remaining = new Set([...pendingParents].filter(([, count]) => count > 0).map(([id]) => id));
    const cycle = findCycle(remaining, children);
    throw new PipelineGraphError(
      `The pipeline has a cycle: ${[...cycle, cycle[0]].join(' → ')}.`,
      'PIPELINE.CYCLE',
      { cycle },
    );
  }
  return stages;
}

/** A reusable view of a graph for repeated descendant queries (marking nodes skipped after a failure). */
export interface PipelineGraphIndex {
  stages: StagePlan;
  /** Every node reachable from `nodeId` (not including it), sorted; throws for an unknown node. */
  descendantsOf(nodeId: string): string[];
}

export function indexPipelineGraph(graph: PipelineGraph): PipelineGraphIndex {
  const stages = planStages(graph);
  const { children } = buildAdjacency(graph);
  return {
    stages,
    descendantsOf(nodeId) {
      if (!children.has(nodeId)) {
        throw new PipelineGraphError(
          `Node "${nodeId}" is not part of the pipeline.`,
          'PIPELINE.UNKNOWN_NODE',
          {
            nodeId,
          },
        );
      }
      const found = new Set<string>();
      const queue = [...(children.get(nodeId) ?? [])];
      for (let i = 0; i < queue.length; i++) {
        const id = queue[i];
        if (id === undefined || found.has(id)) continue;
        found.add(id);
        queue.push(...(children.get(id) ?? []));
      }
      return [...found].sort();
    },
  };
}

/** Every node reachable from `nodeId` in `graph`, sorted. */
export function descendantsOf(graph: PipelineGraph, nodeId: string): string[] {
  return indexPipelineGraph(graph).descendantsOf(nodeId);
}
