import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHarness, type NodeHarness } from '../../../../support/node-test-context';

let h: NodeHarness;
let readings: string;

beforeAll(async () => {
  h = await createNodeHarness();
  // Two sensors; "a" skips 3 January and has no value on 4 January; dates written as yyyymmdd numbers.
  readings = await h.table(
    'processed/readings.parquet',
    `SELECT * FROM (VALUES
       ('a', 20240101, 1.0), ('a', 20240101, 3.0), ('a', 20240102, 4.0), ('a', 20240104, NULL), ('a', 20240105, 10.0),
       ('b', 20240101, 5.0), ('b', 20240102, 6.0)
     ) AS t(sensor, day, value)`,
  );
});

afterAll(async () => {
  await h.close();
});

const day = (row: Record<string, unknown>) => String(row['day']).slice(0, 10);

describe('time-series nodes', () => {
  it('ts.resample aggregates each series per bucket and keeps empty buckets as missing values', async () => {
    const result = await h.run(
      'ts.resample',
      { table: { key: readings } },
      { timeColumn: 'day', seriesColumn: 'sensor', frequency: 'day', aggregation: 'mean' },
    );
    const rows = await h.rows(result.outputs['table']?.key ?? '', 'sensor, day');
    expect(rows.map((r) => [r['sensor'], day(r), r['value']])).toEqual([
      ['a', '2024-01-01', 2],
      ['a', '2024-01-02', 4],
      ['a', '2024-01-03', null],
      ['a', '2024-01-04', null],
      ['a', '2024-01-05', 10],
      ['b', '2024-01-01', 5],
      ['b', '2024-01-02', 6],
    ]);
  });

  it('ts.fill carries values forward or interpolates them in time, series by series', async () => {
    const resampled = await h.run(
      'ts.resample',
      { table: { key: readings } },
      { timeColumn: 'day', seriesColumn: 'sensor', frequency: 'day', aggregation: 'sum' },
    );
    const input = { table: { key: resampled.outputs['table']?.key ?? '' } };
    const forward = await h.run('ts.fill', input, { seriesColumn: 'sensor', method: 'forward' });
    const linear = await h.run('ts.fill', input, { seriesColumn: 'sensor', method: 'linear' });
    const values = async (key: string | undefined) =>
      (await h.rows(key ?? '', 'sensor, day')).filter((r) => r['sensor'] === 'a').map((r) => r['value']);
    expect(await values(forward.outputs['table']?.key)).toEqual([4, 4, 4, 4, 10]);
    expect(await values(linear.outputs['table']?.key)).toEqual([4, 4, 6, 8, 10]);
    expect(forward.metrics['valuesFilled']).toBe(2);
  });

  it('ts.features adds lags, windows over earlier values only, and calendar parts', async () => {
    const result = await h.run(
      'ts.features',
      { table: { key: readings } },
      {
        timeColumn: 'day',
        seriesColumn: 'sensor',
        columns: ['value'],
        lags: [1],
        windows: [2],
        statistics: ['mean'],
        calendar: ['dayofweek', 'month'],
      },
    );
    expect(result.outputs['table']?.columns).toEqual([
      'sensor',
      'day',
      'value',
      'value_lag_1',
      'value_roll2_mean',
      'day_dayofweek',
      'day_month',
    ]);
    const rows = (await h.rows(result.outputs['table']?.key ?? '', 'sensor, day, value')).filter(
      (r) => r['sensor'] === 'b',
    );
    expect(rows).toEqual([
      {
        sensor: 'b',
        day: 20240101,
        value: 5,
        value_lag_1: null,
        value_roll2_mean: null,
        day_dayofweek: 1,
        day_month: 1,
      },
      {
        sensor: 'b',
        day: 20240102,
        value: 6,
        value_lag_1: 5,
        value_roll2_mean: 5,
        day_dayofweek: 2,
        day_month: 1,
      },
    ]);
  });

  it('ts.forecast names the row whose timestamp repeats', async () => {
    await expect(
      h.run(
        'ts.forecast',
        { table: { key: readings } },
        { timeColumn: 'day', target: 'value', seriesColumn: 'sensor', series: 'a' },
      ),
    ).rejects.toThrow(/row 2 of series "a".*repeats/);
  });
});
