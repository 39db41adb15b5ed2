import { describe, expect, it } from 'vitest';
import {
  descendantsOf,
  indexPipelineGraph,
  PipelineGraphError,
  planStages,
  type PipelineGraph,
} from '../../../../../shared/domain/pipelines/plan-stages';

function graph(nodes: string[], edges: [string, string][]): PipelineGraph {
  return {
    nodes: nodes.map((id) => ({ id, type: 'transform.noop' })),
    edges: edges.map(([from, to]) => ({ from, to })),
  };
}

describe('planStages', () => {
  const cases: { name: string; graph: PipelineGraph; stages: string[][] }[] = [
    { name: 'an empty pipeline has no stages', graph: graph([], []), stages: [] },
    { name: 'one node is one stage', graph: graph(['a'], []), stages: [['a']] },
    {
      name: 'a chain runs one node per stage',
      graph: graph(
        ['c', 'b', 'a'],
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
      ),
      stages: [['a'], ['b'], ['c']],
    },
    {
      name: 'independent roots share the first stage, sorted',
      graph: graph(['z', 'm', 'a'], []),
      stages: [['a', 'm', 'z']],
    },
    {
      name: 'a diamond joins after both branches',
      graph: graph(
        ['src', 'left', 'right', 'join'],
        [
          ['src', 'left'],
          ['src', 'right'],
          ['left', 'join'],
          ['right', 'join'],
        ],
      ),
      stages: [['src'], ['left', 'right'], ['join']],
    },
    {
      name: 'a node waits for its deepest input (longest path)',
      graph: graph(
        ['a', 'b', 'c', 'd'],
        [
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'd'],
          ['c', 'd'],
        ],
      ),
      stages: [['a'], ['b'], ['c'], ['d']],
    },
    {
      name: 'duplicate edges count once',
      graph: graph(
        ['a', 'b'],
        [
          ['a', 'b'],
          ['a', 'b'],
        ],
      ),
      stages: [['a'], ['b']],
    },
    {
      name: 'five nodes in two parallel stages',
      graph: graph(
        ['load', 'clean', 'split', 'train', 'report'],
        [
          ['load', 'train'],
          ['clean', 'train'],
          ['split', 'report'],
          ['load', 'report'],
        ],
      ),
      stages: [
        ['clean', 'load', 'split'],
        ['report', 'train'],
      ],
    },
  ];

  it.each(cases)('$name', ({ graph: g, stages }) => {
    expect(planStages(g)).toEqual(stages);
  });

  it('gives the same plan whatever the order of nodes and edges', () => {
    const a = graph(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'c'],
        ['b', 'c'],
        ['c', 'd'],
      ],
    );
    const b = graph(
      ['d', 'c', 'b', 'a'],
      [
        ['c', 'd'],
        ['b', 'c'],
        ['a', 'c'],
      ],
    );
    expect(planStages(a)).toEqual(planStages(b));
  });

  const cycles: { name: string; graph: PipelineGraph; cycle: string[] }[] = [
    { name: 'self loop', graph: graph(['a'], [['a', 'a']]), cycle: ['a'] },
    {
      name: 'two nodes',
      graph: graph(
        ['a', 'b'],
        [
          ['a', 'b'],
          ['b', 'a'],
        ],
      ),
      cycle: ['a', 'b'],
    },
    {
      name: 'a cycle behind a valid prefix, with a tail hanging off it',
      graph: graph(
        ['root', 'x', 'y', 'z', 'tail'],
        [
          ['root', 'x'],
          ['x', 'y'],
          ['y', 'z'],
          ['z', 'x'],
          ['z', 'tail'],
        ],
      ),
      cycle: ['x', 'y', 'z'],
    },
  ];

  it.each(cycles)('rejects a cycle ($name) naming its nodes', ({ graph: g, cycle }) => {
    let caught: unknown;
    try {
      planStages(g);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PipelineGraphError);
    const error = caught as PipelineGraphError;
    expect(error.code).toBe('PIPELINE.CYCLE');
    expect(error.details?.['cycle']).toEqual(cycle);
    for (const id of cycle) expect(error.message).toContain(id);
    expect(error.message).not.toContain('tail');
  });

  it('rejects edges to unknown nodes and duplicate node ids', () => {
    expect(() => planStages(graph(['a'], [['a', 'ghost']]))).toThrow(/ghost/);
    expect(() => planStages(graph(['a', 'a'], []))).toThrow(/more than once/);
  });
});

describe('descendantsOf', () => {
  const g = graph(
    ['load', 'clean', 'train', 'eval', 'export', 'profile'],
    [
      ['load', 'clean'],
      ['clean', 'train'],
      ['train', 'eval'],
      ['clean', 'export'],
      ['load', 'profile'],
    ],
  );

  it.each([
    { node: 'load', expected: ['clean', 'eval', 'export', 'profile', 'train'] },
    { node: 'clean', expected: ['eval', 'export', 'train'] },
    { node: 'train', expected: ['eval'] },
    { node: 'eval', expected: [] },
  ])('a failure in $node skips $expected', ({ node, expected }) => {
    expect(descendantsOf(g, node)).toEqual(expected);
  });

  it('descendants always sit in later stages than the node', () => {
    const index = indexPipelineGraph(g);
    const stageOf = new Map(index.stages.flatMap((ids, stage) => ids.map((id) => [id, stage] as const)));
    for (const { id } of g.nodes) {
      for (const child of index.descendantsOf(id)) {
        expect(stageOf.get(child)).toBeGreaterThan(stageOf.get(id) ?? Infinity);
      }
    }
  });

  it('rejects an unknown node', () => {
    expect(() => descendantsOf(g, 'nope')).toThrow(/nope/);
  });
});
