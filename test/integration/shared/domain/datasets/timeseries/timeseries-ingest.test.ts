import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionValidationIssue } from '../../../../../../shared/domain/datasets/dataset-records';
import type { SeriesProfile } from '../../../../../../shared/domain/forecasting/series-profile';
import { startWorkerHarness, type WorkerHarness } from '../../../../support/worker-harness';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

const errors = (value: unknown) => value as VersionValidationIssue[];
const seriesOf = (metadata: unknown) => (metadata as { series: SeriesProfile[] }).series;

describe('time-series ingestion', () => {
  it('reads co2 (dates written as yyyymmdd numbers): weekly, missing values, trend and seasonality', async () => {
    const arrival = await h.arrive({
      fileName: 'co2.csv',
      modality: 'timeseries',
      body: readFileSync(new URL('../../../../../fixtures/timeseries/co2.csv', import.meta.url), 'utf8'),
    });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      timeColumn: 'date',
      timeFormat: 'yyyymmdd',
      valueColumn: 'co2',
      seriesColumn: null,
      seriesCount: 1,
      frequency: 'weekly',
      seasonalPeriod: 52,
      start: '1958-03-29T00:00:00.000Z',
      end: '2001-12-29T00:00:00.000Z',
    });
    const [co2] = seriesOf(version.modality_metadata);
    // Every week has a row; 59 of them have no value.
    expect(co2).toMatchObject({
      length: 2284,
      missingValues: 59,
      min: 313,
      max: 373.9,
      gaps: 0,
      irregularIntervals: 0,
    });
    expect(co2?.trendStrength).toBeGreaterThan(0.9);
    expect(co2?.seasonalityStrength).toBeGreaterThan(0.5);
  });

  it('profiles each series of a long file on its own: frequency, gaps and irregular spacing', async () => {
    const lines = ['store,day,sales'];
    for (let d = 1; d <= 28; d += 1) {
      if (d !== 10 && d !== 11) lines.push(`a,2024-02-${String(d).padStart(2, '0')},${d}`);
      lines.push(`b,2024-02-${String(d).padStart(2, '0')} ${d === 20 ? '06' : '00'}:00:00,${2 * d}`);
    }
    const arrival = await h.arrive({
      fileName: 'stores.csv',
      modality: 'timeseries',
      body: `${lines.join('\n')}\n`,
    });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      seriesColumn: 'store',
      seriesCount: 2,
      regular: false,
    });
    const [a, b] = seriesOf(version.modality_metadata);
    expect(a).toMatchObject({
      series: 'a',
      length: 26,
      frequency: 'daily',
      gaps: 1,
      missingSteps: 2,
      irregularIntervals: 0,
    });
    expect(b).toMatchObject({ series: 'b', length: 28, frequency: 'daily', gaps: 0, irregularIntervals: 2 });
  });

  it('fails a repeated or earlier timestamp, naming the series and the row', async () => {
    const body = [
      'sensor,ts,value',
      'x,2024-01-01 00:00,1',
      'y,2024-01-01 00:00,1',
      'x,2024-01-01 01:00,2',
      'y,2024-01-01 01:00,2',
      'x,2024-01-01 01:00,3',
      'y,2024-01-01 00:30,4',
    ].join('\n');
    const arrival = await h.arrive({ fileName: 'bad.csv', modality: 'timeseries', body: `${body}\n` });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('failed');
    const issues = errors(version.validation_errors);
    expect(issues[0]).toMatchObject({ code: 'TIMESERIES.DUPLICATE_TIMESTAMP', row: 6, column: 'ts' });
    expect(issues[0]?.message).toContain('series "x"');
    expect(issues[1]).toMatchObject({ code: 'TIMESERIES.NOT_MONOTONIC', row: 7 });
    expect(issues[1]?.message).toContain('series "y"');
  });
});
