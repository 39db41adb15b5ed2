import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionValidationIssue } from '../../../../../shared/domain/datasets/dataset-records';
import { startWorkerHarness, type WorkerHarness } from '../../../support/worker-harness';

let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

function segy(traces: number, samples: number): Uint8Array {
  const u8 = new Uint8Array(3600 + traces * (240 + samples * 4));
  const dv = new DataView(u8.buffer);
  u8.fill(0x40, 0, 3200);
  dv.setUint16(3216, 4000);
  dv.setUint16(3220, samples);
  dv.setUint16(3224, 5);
  return u8;
}

function png(width: number, height: number): Uint8Array {
  const u8 = new Uint8Array(64);
  const dv = new DataView(u8.buffer);
  u8.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  u8[24] = 8;
  u8[25] = 2;
  return u8;
}

const errors = (value: unknown) => value as VersionValidationIssue[];

describe('non-tabular workers', () => {
  it('records SEG-Y traces, samples and sample rate as the version’s seismic metadata', async () => {
    const arrival = await h.arrive({
      fileName: 'line.sgy',
      format: 'segy',
      modality: 'seismic',
      body: segy(12, 250),
    });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      traces: 12,
      samples: 250,
      sampleRateHz: 250,
      formatCode: 5,
    });
    expect(version.processed_object_key).toMatch(/data\.parquet$/);
  });

  it('fails a truncated SEG-Y file saying where it ends', async () => {
    const arrival = await h.arrive({
      fileName: 'cut.sgy',
      format: 'segy',
      modality: 'seismic',
      body: segy(3, 100).subarray(0, 3600 + 240 + 10),
    });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('failed');
    expect(errors(version.validation_errors)[0]?.message).toMatch(/ends inside trace 1/);
  });

  it('reads image dimensions and refuses a file that is not an image', async () => {
    const image = await h.arrive({
      fileName: 'a.png',
      format: 'png',
      modality: 'image',
      body: png(800, 600),
    });
    const notImage = await h.arrive({ fileName: 'b.png', format: 'png', modality: 'image', body: 'hello' });
    const result = await h.worker('image')({ Records: [h.record(image), h.record(notImage)] });
    expect(result.batchItemFailures).toEqual([]);
    expect((await h.version(image)).modality_metadata).toMatchObject({
      format: 'png',
      width: 800,
      height: 600,
      channels: 3,
    });
    const refused = await h.version(notImage);
    expect(refused.status).toBe('failed');
    expect(errors(refused.validation_errors)[0]?.code).toBe('IMAGE.UNRECOGNIZED');
  });

  it('converts text to one row per line with its statistics', async () => {
    const arrival = await h.arrive({
      fileName: 'notes.txt',
      format: 'text',
      modality: 'text',
      body: 'first line here\r\n\r\nsecond line\nthird\n',
    });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      encoding: 'utf-8',
      lines: 4,
      words: 6,
      emptyLines: 1,
      sample: ['first line here', 'second line', 'third'],
    });
  });

  it('finds the time column and sampling interval of a time series, and fails one without time', async () => {
    const rows = Array.from(
      { length: 10 },
      (_, i) => `2024-01-01 00:${String(i * 5).padStart(2, '0')}:00,${i * 1.5}`,
    );
    const series = await h.arrive({
      fileName: 'sensor.csv',
      modality: 'timeseries',
      body: `ts,value\n${rows.join('\n')}\n`,
    });
    const noTime = await h.arrive({ fileName: 'plain.csv', modality: 'timeseries', body: 'a,b\n1,2\n3,4\n' });
    await h.process(series);
    await h.process(noTime);
    expect((await h.version(series)).modality_metadata).toMatchObject({
      timeColumn: 'ts',
      samplingIntervalSeconds: 300,
      regular: true,
    });
    const failed = await h.version(noTime);
    expect(failed.status).toBe('failed');
    expect(errors(failed.validation_errors)[0]?.code).toBe('TIMESERIES.NO_TIME_COLUMN');
  });
});
