import { describe, expect, it } from 'vitest';
import {
  checkColumnReferences,
  closestColumn,
} from '../../../../../shared/domain/pipelines/validate-pipeline-columns';

const DATASET = '0b6f2a5e-3c1d-4f7a-9e2b-1a2b3c4d5e6f';
const columns = ['age', 'income', 'city', 'label'];

type Node = { id: string; type: string; params: Record<string, unknown> };
const edge = (from: string, to: string, fromPort = 'table', toPort = 'table') => ({
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});
const check = (nodes: Node[], edges: ReturnType<typeof edge>[]) =>
  checkColumnReferences({ nodes, edges }, { datasetId: DATASET, columns });

describe('columns that nodes name, against the dataset', () => {
  it('names the node, the column and the likely one', () => {
    const issues = check(
      [
        { id: 'src', type: 'dataset.source', params: {} },
        { id: 'pick', type: 'table.select_columns', params: { columns: ['agee', 'city'] } },
      ],
      [edge('src', 'pick')],
    );
    expect(issues).toEqual([
      {
        field: 'nodes[pick].params.columns',
        code: 'PIPELINE.UNKNOWN_COLUMN',
        message: 'node pick: column "agee" does not exist — did you mean "age"?',
        nodeId: 'pick',
      },
    ]);
  });

  it('follows renames, drops and selections down the graph to filters, splits and training', () => {
    const issues = check(
      [
        { id: 'src', type: 'dataset.source', params: { datasetId: DATASET } },
        { id: 'ren', type: 'table.rename_columns', params: { mapping: { income: 'salary' } } },
        { id: 'drop', type: 'table.drop_columns', params: { columns: ['city'] } },
        {
          id: 'keep',
          type: 'table.filter_rows',
          params: {
            conditions: [
              { column: 'income', op: 'gt', value: 0 },
              { column: 'salary', op: 'gt', value: 0 },
            ],
          },
        },
        { id: 'split', type: 'table.split', params: { stratifyColumn: 'city' } },
        { id: 'train', type: 'model.train', params: { target: 'lable' } },
      ],
      [
        edge('src', 'ren'),
        edge('ren', 'drop'),
        edge('drop', 'keep'),
        edge('keep', 'split'),
        edge('split', 'train', 'train', 'train'),
      ],
    );
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      [
        'nodes[keep].params.conditions[0].column',
        'node keep: column "income" does not exist; the columns are "age", "salary", "label".',
      ],
      [
        'nodes[split].params.stratifyColumn',
        'node split: column "city" does not exist; the columns are "age", "salary", "label".',
      ],
      ['nodes[train].params.target', 'node train: column "lable" does not exist — did you mean "label"?'],
    ]);
  });

  it('accepts columns that exist, and checks nothing past a node whose columns it cannot know', () => {
    expect(
      check(
        [
          { id: 'src', type: 'dataset.source', params: {} },
          { id: 'pick', type: 'table.select_columns', params: { columns: ['age', 'label'] } },
          { id: 'feat', type: 'features.encode', params: {} },
          { id: 'pick2', type: 'table.select_columns', params: { columns: ['age_encoded'] } },
        ],
        [edge('src', 'pick'), edge('pick', 'feat'), edge('feat', 'pick2')],
      ),
    ).toEqual([]);
  });

  it('follows a join: its keys, the left columns, then the right ones suffixed on a clash', () => {
    const issues = check(
      [
        { id: 'src', type: 'dataset.source', params: {} },
        { id: 'left', type: 'table.select_columns', params: { columns: ['age', 'city', 'label'] } },
        { id: 'right', type: 'table.rename_columns', params: { mapping: { income: 'pay' } } },
        { id: 'join', type: 'table.join', params: { on: ['age', 'cty'], how: 'left' } },
        {
          id: 'pick',
          type: 'table.select_columns',
          params: { columns: ['age', 'city', 'label_right', 'pay', 'income', 'label_rigth'] },
        },
      ],
      [
        edge('src', 'left'),
        edge('src', 'right'),
        edge('left', 'join', 'table', 'left'),
        edge('right', 'join', 'table', 'right'),
        edge('join', 'pick'),
      ],
    );
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      ['nodes[join].params.on', 'node join: column "cty" does not exist — did you mean "city"?'],
      ['nodes[join].params.on', 'node join: column "cty" does not exist — did you mean "city"?'],
      [
        'nodes[pick].params.columns',
        'node pick: column "income" does not exist; the columns are "age", "city", "label", "pay", "city_right", "label_right".',
      ],
      [
        'nodes[pick].params.columns',
        'node pick: column "label_rigth" does not exist — did you mean "label_right"?',
      ],
    ]);
  });

  it('follows a prediction: its prediction column and class probabilities, past the learner that fed it', () => {
    const issues = check(
      [
        { id: 'src', type: 'dataset.source', params: {} },
        { id: 'split', type: 'table.split', params: {} },
        { id: 'train', type: 'model.train', params: { target: 'label', learner: 'logistic_regression' } },
        { id: 'predict', type: 'model.predict', params: { target: 'label' } },
        {
          id: 'keep',
          type: 'table.filter_rows',
          params: { conditions: [{ column: 'predicton', op: 'eq', value: 1 }] },
        },
        {
          id: 'pick',
          type: 'table.select_columns',
          params: { columns: ['age', 'prediction', 'probability_yes', 'score'] },
        },
        { id: 'again', type: 'model.predict', params: { target: 'lable' } },
        {
          id: 'last',
          type: 'table.select_columns',
          params: { columns: ['prediction_2', 'probability_yes'] },
        },
      ],
      [
        edge('src', 'split'),
        edge('split', 'train', 'train', 'train'),
        edge('split', 'train', 'test', 'test'),
        edge('train', 'predict', 'model', 'model'),
        edge('split', 'predict', 'test', 'table'),
        edge('predict', 'keep'),
        edge('keep', 'pick'),
        edge('train', 'again', 'model', 'model'),
        edge('pick', 'again', 'table', 'table'),
        edge('again', 'last'),
      ],
    );
    expect(issues.map((i) => [i.field, i.message])).toEqual([
      [
        'nodes[keep].params.conditions[0].column',
        'node keep: column "predicton" does not exist — did you mean "prediction"?',
      ],
      [
        'nodes[pick].params.columns',
        'node pick: column "score" does not exist; the columns are "age", "income", "city", "label", "prediction".',
      ],
      [
        'nodes[again].params.target',
        'node again: column "lable" does not exist; the columns are "age", "prediction", "probability_yes".',
      ],
    ]);
  });

  it('does not check sources reading another dataset', () => {
    expect(
      check(
        [
          {
            id: 'src',
            type: 'dataset.source',
            params: { datasetId: '11111111-2222-4333-8444-555555555555' },
          },
          { id: 'pick', type: 'table.select_columns', params: { columns: ['whatever'] } },
        ],
        [edge('src', 'pick')],
      ),
    ).toEqual([]);
  });

  it.each([
    ['AGE', 'age'],
    ['incme', 'income'],
    ['zzzzzz', undefined],
  ])('the closest column to %j is %j', (name, expected) => {
    expect(closestColumn(name, columns)).toBe(expected);
  });
});
