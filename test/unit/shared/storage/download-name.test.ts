import { describe, expect, it } from 'vitest';
import { contentDisposition, safeDownloadName } from '../../../../shared/storage/download-name';

describe('download names', () => {
  it.each([
    ['iris.csv', 'iris.csv'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\data.csv', 'data.csv'],
    ['.hidden.csv', 'hidden.csv'],
    ['bad\u0000name\r\n.csv', 'badname .csv'],
    ['report\u202Evsc.exe', 'reportvsc.exe'],
    ['  many   spaces\there.csv  ', 'many spaces here.csv'],
    ['trailing dots...', 'trailing dots'],
    ['données été.csv', 'données été.csv'],
  ])('keeps %j as the file name %j', (input, expected) => {
    expect(safeDownloadName(input, 'fallback.bin')).toBe(expected);
  });

  it('falls back when nothing of the name is left, and makes the fallback safe too', () => {
    expect(safeDownloadName('../', 'export.zip')).toBe('export.zip');
    expect(safeDownloadName('\u0000', '../x/y.csv')).toBe('y.csv');
    expect(safeDownloadName('...', '...')).toBe('download');
  });

  it('shortens a long name and keeps its extension', () => {
    const name = safeDownloadName(`${'é'.repeat(400)}.parquet`, 'x');
    expect([...name]).toHaveLength(180);
    expect(name.endsWith('é.parquet')).toBe(true);
  });

  it('answers an ASCII fallback and the exact name as RFC 8187 filename*', () => {
    expect(contentDisposition('iris ✓.csv')).toBe(
      `attachment; filename="iris _.csv"; filename*=UTF-8''iris%20%E2%9C%93.csv`,
    );
    expect(contentDisposition('Café "best" (v2)*.csv')).toBe(
      `attachment; filename="Cafe _best_ (v2)*.csv"; filename*=UTF-8''Caf%C3%A9%20%22best%22%20%28v2%29%2A.csv`,
    );
    expect(contentDisposition("100% o'brien.csv")).toBe(
      `attachment; filename="100_ o'brien.csv"; filename*=UTF-8''100%25%20o%27brien.csv`,
    );
  });

  it('never lets a name break out of the header or name a path', () => {
    const header = contentDisposition('a"; filename="../../evil.sh\r\nSet-Cookie: x=1');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).not.toContain('/');
    expect(header.match(/"/g)).toHaveLength(2);
  });
});
