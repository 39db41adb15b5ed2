import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertXlsxToCsv } from '../../../../../shared/adapters/excel/xlsx-to-csv';
import { readZipDirectory } from '../../../../../shared/adapters/excel/zip-directory';
import {
  XlsxUnreadableError,
  type XlsxToCsvResult,
  type XlsxUnreadableReason,
} from '../../../../../shared/domain/datasets/ingestion/workers/xlsx-to-csv.port';
import {
  buildCompoundFileHead,
  buildWorkbook,
  columnName,
} from '../../../../fixtures/ingestion/xlsx/build-workbook';
import { buildLyingWorkbookBomb } from '../../../../fixtures/ingestion/xlsx/build-zip-bomb';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-xlsx-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const limits = { maxCells: 1_000_000, maxUnpackedBytes: 64 * 1024 * 1024 };

async function convert(bytes: Uint8Array, options: Partial<typeof limits> = {}) {
  n += 1;
  const inputPath = join(dir, `in-${n}.xlsx`);
  const outputPath = join(dir, `out-${n}.csv`);
  await writeFile(inputPath, bytes);
  const result: XlsxToCsvResult = await convertXlsxToCsv({ inputPath, outputPath, ...limits, ...options });
  return { result, csv: await readFile(outputPath, 'utf8') };
}

async function refusal(
  bytes: Uint8Array,
  options: Partial<typeof limits> = {},
): Promise<XlsxUnreadableError> {
  const error = await convert(bytes, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XlsxUnreadableError);
  return error as XlsxUnreadableError;
}

function replacePart(workbook: Uint8Array, path: string, xml: string): Uint8Array {
  return zipSync({ ...unzipSync(workbook), [path]: strToU8(xml) });
}

describe('convertXlsxToCsv', () => {
  it('writes the first sheet as RFC 4180 CSV with ISO dates, plain decimals and true/false', async () => {
    const { result, csv } = await convert(
      buildWorkbook([
        {
          name: 'Sales',
          rows: [
            ['id', 'customer', 'amount', 'sold_on', 'delivered_at', 'paid', 'note'],
            [
              1,
              'Ann, B',
              3.5,
              new Date(Date.UTC(2024, 0, 2)),
              new Date(Date.UTC(2024, 0, 2, 10, 30)),
              true,
              null,
            ],
            [
              2,
              'say "hi"',
              1e-7,
              new Date(Date.UTC(2024, 1, 29)),
              new Date(Date.UTC(2024, 1, 29)),
              false,
              'two\nlines',
            ],
            [3, '  padded  ', 1e21, null, null, null, ''],
          ],
        },
      ]),
    );
    expect(csv).toBe(
      [
        'id,customer,amount,sold_on,delivered_at,paid,note',
        '1,"Ann, B",3.5,2024-01-02,2024-01-02T10:30:00,true,',
        '2,"say ""hi""",0.0000001,2024-02-29,2024-02-29T00:00:00,false,"two\nlines"',
        '3,  padded  ,1000000000000000000000,,,,',
        '',
      ].join('\r\n'),
    );
    expect(result).toEqual({
      sheetNames: ['Sales'],
      sheetName: 'Sales',
      rowCount: 4,
      columnCount: 7,
      firstRow: 1,
    });
  });

  it('reads the first of several sheets and lists them all', async () => {
    const { result, csv } = await convert(
      buildWorkbook([
        {
          name: 'Summary',
          rows: [
            ['k', 'v'],
            ['a', 1],
          ],
        },
        { name: 'Raw data', rows: [['x'], [9], [8]] },
      ]),
    );
    expect(csv).toBe('k,v\r\na,1\r\n');
    expect(result.sheetName).toBe('Summary');
    expect(result.sheetNames).toEqual(['Summary', 'Raw data']);
  });

  it('skips leading empty rows so the header is the first line, and says where the table starts', async () => {
    const workbook = replacePart(
      buildWorkbook([{ name: 'S', rows: [['h']] }]),
      'xl/worksheets/sheet1.xml',
      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
        '<row r="3"><c r="A3" t="inlineStr"><is><t>name</t></is></c><c r="B3" t="inlineStr"><is><t>n</t></is></c></row>' +
        '<row r="4"><c r="A4" t="inlineStr"><is><t>x</t></is></c><c r="B4"><v>5</v></c></row>' +
        '</sheetData></worksheet>',
    );
    const { result, csv } = await convert(workbook);
    expect(csv).toBe('name,n\r\nx,5\r\n');
    expect(result.firstRow).toBe(3);
  });

  it.each<[string, () => Uint8Array, XlsxUnreadableReason]>([
    ['a legacy .xls', () => buildCompoundFileHead('Workbook'), 'legacy-xls'],
    ['a password-protected workbook', () => buildCompoundFileHead('EncryptedPackage'), 'password-protected'],
    [
      'a workbook cut short',
      () => buildWorkbook([{ name: 'S', rows: [['a'], [1]] }]).subarray(0, 300),
      'corrupt',
    ],
    ['bytes that are not a zip', () => new TextEncoder().encode('id,name\n1,Ann\n'), 'corrupt'],
    ['a zip without a workbook', () => zipSync({ 'data.csv': strToU8('a,b\n1,2\n') }), 'not-a-workbook'],
    [
      'a workbook with a malformed sheet',
      () =>
        replacePart(
          buildWorkbook([{ name: 'S', rows: [['a']] }]),
          'xl/worksheets/sheet1.xml',
          '<worksheet><sheetData><row',
        ),
      'corrupt',
    ],
    [
      'an empty first sheet',
      () =>
        buildWorkbook([
          { name: 'Empty', rows: [] },
          { name: 'Data', rows: [['a'], [1]] },
        ]),
      'empty-sheet',
    ],
  ])('refuses %s', async (_label, bytes, reason) => {
    const error = await refusal(bytes());
    expect(error.reason).toBe(reason);
    if (reason === 'empty-sheet')
      expect(error.facts).toEqual({ sheetName: 'Empty', sheetNames: ['Empty', 'Data'] });
  });

  it('refuses a sheet over the cell limit with its size', async () => {
    const rows = Array.from({ length: 11 }, (_, r) =>
      Array.from({ length: 5 }, (_, c) => (r === 0 ? columnName(c) : r * c)),
    );
    const error = await refusal(buildWorkbook([{ name: 'Big', rows }]), { maxCells: 50 });
    expect(error.reason).toBe('too-many-cells');
    expect(error.facts).toMatchObject({ sheetName: 'Big', rows: 11, columns: 5 });
    await expect(convert(buildWorkbook([{ name: 'Big', rows }]), { maxCells: 55 })).resolves.toBeDefined();
  });

  it('refuses, before reading, a workbook whose parts unpack beyond the limit', async () => {
    const workbook = buildWorkbook([{ name: 'S', rows: [['a'], ['x'.repeat(5000)]] }]);
    const error = await refusal(workbook, { maxUnpackedBytes: 4096 });
    expect(error.reason).toBe('too-large');
    expect(error.facts.unpackedBytes).toBeGreaterThan(5000);
  });

  it('refuses a workbook whose directory lies about its sizes once the bytes really inflated pass the limit', async () => {
    const bomb = await buildLyingWorkbookBomb(8 * 1024 * 1024);
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const limit = 1024 * 1024;
    const declared = (await readZipDirectoryOf(bomb)).reduce((sum, e) => sum + e.uncompressedSize, 0);
    expect(declared).toBeLessThan(limit);

    const error = await refusal(bomb, { maxUnpackedBytes: limit });

    expect(error.reason).toBe('too-large');
    expect(error.facts.unpackedBytes).toBeGreaterThan(limit);
    // Stopped at the limit, not after inflating the whole sheet.
    expect(error.facts.unpackedBytes).toBeLessThan(2 * limit);
  });

  it('reads a sheet of 20,000 rows', async () => {
    const rows = Array.from({ length: 20_000 }, (_, r) => (r === 0 ? ['n', 'label'] : [r, `row ${r}`]));
    const { result, csv } = await convert(buildWorkbook([{ name: 'Long', rows }]));
    expect(result.rowCount).toBe(20_000);
    expect(csv.split('\r\n')[19_999]).toBe('19999,row 19999');
  });
});

async function readZipDirectoryOf(bytes: Uint8Array) {
  n += 1;
  const path = join(dir, `dir-${n}.zip`);
  await writeFile(path, bytes);
  return readZipDirectory(path);
}

describe('readZipDirectory', () => {
  it('lists entries with their unpacked sizes', async () => {
    const path = join(dir, 'dir.zip');
    await writeFile(path, zipSync({ 'a.xml': strToU8('x'.repeat(1000)), 'b/c.txt': strToU8('hi') }));
    expect(await readZipDirectory(path)).toEqual([
      expect.objectContaining({ name: 'a.xml', uncompressedSize: 1000 }),
      expect.objectContaining({ name: 'b/c.txt', uncompressedSize: 2 }),
    ]);
  });
});
