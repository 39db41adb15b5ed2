import { describe, expect, it } from 'vitest';
import {
  acceptsFormat,
  fileExtension,
  fileKindOf,
  fileStem,
  queueFor,
} from '../../../../../shared/domain/datasets/file-formats';

describe('file kinds', () => {
  it.each([
    ['sales.csv', 'csv', 'tabular'],
    ['Sales.CSV', 'csv', 'tabular'],
    ['data.tsv', 'tsv', 'tabular'],
    ['events.jsonl', 'jsonl', 'tabular'],
    ['events.ndjson', 'jsonl', 'tabular'],
    ['table.parquet', 'parquet', 'tabular'],
    ['book.xlsx', 'excel', 'tabular'],
    ['corpus.txt', 'text', 'text'],
    ['line-12.sgy', 'segy', 'seismic'],
    ['station.mseed', 'miniseed', 'seismic'],
    ['bird.wav', 'wav', 'audio'],
    ['cat.JPEG', 'jpeg', 'image'],
    ['clip.mp4', 'mp4', 'video'],
  ])('%s is %s for the %s worker', (name, format, modality) => {
    expect(fileKindOf(name)).toMatchObject({ format, modality });
  });

  it.each(['notes.docx', 'archive.tar.gz', 'README', '.csv', 'run.exe'])('%s is not supported', (name) => {
    expect(fileKindOf(name)).toBeUndefined();
  });

  it('takes the stem and extension from the last path segment', () => {
    expect(fileStem('in/box/weekly sales.csv')).toBe('weekly sales');
    expect(fileStem('a.b.c.csv')).toBe('a.b.c');
    expect(fileExtension('dir.v2/file')).toBe('');
  });

  it('lets a dataset take only files its modality reads', () => {
    const csv = fileKindOf('x.csv');
    const wav = fileKindOf('x.wav');
    if (!csv || !wav) throw new Error('kinds missing');
    expect(acceptsFormat('tabular', csv)).toBe(true);
    expect(acceptsFormat('tabular', wav)).toBe(false);
    expect(acceptsFormat('timeseries', csv)).toBe(true);
    expect(acceptsFormat('multimodal', wav)).toBe(true);
    expect(queueFor('timeseries', csv)).toBe('timeseries');
    expect(queueFor('multimodal', wav)).toBe('audio');
  });
});
