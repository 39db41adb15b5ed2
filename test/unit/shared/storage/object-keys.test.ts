import { describe, expect, it } from 'vitest';
import {
  decodeS3EventKey,
  objectKeys,
  ObjectKeyError,
  parseArrivalKey,
  safeFileName,
} from '../../../../shared/storage/object-keys';

const user = '3f1c2a9e-8b7d-4c1e-9a2b-1c2d3e4f5a6b';
const dataset = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('object keys', () => {
  it('builds the layout from validated ids', () => {
    expect(objectKeys.raw(user, dataset, 3, 'sales 2024.csv')).toBe(
      `raw/${user}/${dataset}/3/sales 2024.csv`,
    );
    expect(objectKeys.processed(user, dataset, 1)).toBe(`processed/${user}/${dataset}/1/data.parquet`);
    expect(objectKeys.jobNodeOutput(user, dataset, 'split-1', 'train')).toBe(
      `jobs/${user}/${dataset}/split-1/train.parquet`,
    );
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\data.csv', 'data.csv'],
    ['.hidden.csv', 'hidden.csv'],
    ['bad\u0000name.csv', 'badname.csv'],
    ['a/b?c*.csv', 'b_c_.csv'],
  ])('reduces %j to the safe file name %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('keeps the extension when a long name is shortened', () => {
    const name = safeFileName(`${'x'.repeat(300)}.parquet`);
    expect(name).toHaveLength(200);
    expect(name.endsWith('.parquet')).toBe(true);
  });

  it('refuses ids that are not UUIDs and names that are empty', () => {
    expect(() => objectKeys.raw('../x', dataset, 1, 'a.csv')).toThrow(/userId must be a UUID/);
    expect(() => objectKeys.raw(user, dataset, 0, 'a.csv')).toThrow(/version/);
    expect(() => safeFileName('...')).toThrow(/fileName/);
    expect(() => objectKeys.jobNodeOutput(user, dataset, '../x', 'out')).toThrow(/node ids/);
  });

  it('decodes keys the way S3 event notifications encode them', () => {
    expect(decodeS3EventKey('dropbox/u/my+file%C3%A9+%2B1.csv')).toBe('dropbox/u/my fileé +1.csv');
  });

  it('parses raw and drop-folder arrivals', () => {
    expect(parseArrivalKey(`raw/${user}/${dataset}/2/f.csv`)).toEqual({
      kind: 'raw',
      userId: user,
      datasetId: dataset,
      version: 2,
      fileName: 'f.csv',
    });
    expect(parseArrivalKey(`dropbox/${user}/sub/dir/sales.csv`)).toEqual({
      kind: 'dropbox',
      userId: user,
      path: 'sub/dir/sales.csv',
      fileName: 'sales.csv',
    });
    expect(parseArrivalKey('processed/x')).toEqual({ kind: 'other', prefix: 'processed' });
  });

  it.each([
    [`dropbox/${user}/../other/x.csv`, /"\." or "\.\."/],
    [`dropbox/${user}/a\u0000.csv`, /control characters/],
    ['dropbox/not-a-user/x.csv', /your user id/],
    [`raw/${user}/${dataset}/01/f.csv`, /version/],
    [`raw/${user}/${dataset}/1/a/b.csv`, /one file name/],
    [`dropbox/${user}//x.csv`, /empty path segment/],
  ])('rejects %j with a reason', (key, reason) => {
    expect(() => parseArrivalKey(key)).toThrow(ObjectKeyError);
    expect(() => parseArrivalKey(key)).toThrow(reason);
  });
});
