import { describe, expect, it } from 'vitest';
import { runtimeForNode } from '../../../../../shared/domain/nodes/node-runtime';

describe('where a node runs', () => {
  it.each([
    ['model.automl', { timeBudgetSeconds: 60 }, 'lambda'],
    ['model.automl', { timeBudgetSeconds: 600 }, 'lambda'],
    ['model.automl', { timeBudgetSeconds: 601 }, 'fargate'],
    ['model.automl', {}, 'lambda'],
    ['table.split', { testFraction: 0.2 }, 'lambda'],
    ['model.automl', { timeBudgetSeconds: 'soon' }, 'lambda'],
  ] as const)('%s with %j runs on %s', (type, params, expected) => {
    expect(runtimeForNode(type, 'lambda', params)).toBe(expected);
  });

  it('keeps the catalog runtime of a type without an implementation', () => {
    expect(runtimeForNode('nope.nothing', 'fargate', {})).toBe('fargate');
  });
});
