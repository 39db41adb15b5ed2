import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, DatasetVersion } from '../../../../../../../shared/domain/datasets/dataset-records';
import { FileValidationFailure } from '../../../../../../../shared/domain/datasets/ingestion/workers/file-validation-failure';
import type { ProcessorContext } from '../../../../../../../shared/domain/datasets/ingestion/workers/modality-processor';
import {
  convertAndProfileTabular,
  EXCEL_UNSUPPORTED,
  MAX_XLSX_SHEET_CELLS,
} from '../../../../../../../shared/domain/datasets/ingestion/workers/tabular-processor';
import {
  XlsxUnreadableError,
  type XlsxToCsv,
  type XlsxUnreadableFacts,
  type XlsxUnreadableReason,
} from '../../../../../../../shared/domain/datasets/ingestion/workers/xlsx-to-csv.port';
import type { BlobStore } from '../../../../../../../shared/ports/blob-store.port';
import type { SqlEngine } from '../../../../../../../shared/ports/sql-engine.port';
import { buildWorkbook } from '../../../../../../fixtures/ingestion/xlsx/build-workbook';

/**
 * How each reason the workbook reader gives becomes the uploader's issue. The reader is a fake
 * here (the adapter has its own tests); nothing past the conversion runs, so the engine and the
 * blob store are never touched.
 */
let dir: string;
let context: ProcessorContext;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-xlsx-issues-'));
  const filePath = join(dir, 'book.xlsx');
  const bytes = buildWorkbook([{ name: 'S', rows: [['a'], [1]] }]);
  await writeFile(filePath, bytes);
  const untouched = new Proxy({} as SqlEngine & BlobStore, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`not expected: ${String(property)}`);
    },
  });
  context = {
    dataset: { targetColumn: null } as unknown as Dataset,
    version: { originalFormat: 'excel', originalFilename: 'book.xlsx' } as unknown as DatasetVersion,
    filePath,
    sizeBytes: bytes.length,
    sha256: '0'.repeat(64),
    tempDir: dir,
    blobs: untouched,
    engine: async () => untouched,
    processedKey: 'processed/x/data.parquet',
    manifestKey: 'processed/x/manifest.parquet',
    now: new Date(),
    progress: async () => {},
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function issueFor(xlsxToCsv: XlsxToCsv | undefined) {
  const failure = await convertAndProfileTabular(context, { xlsxToCsv }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(FileValidationFailure);
  const issues = (failure as FileValidationFailure).issues;
  expect(issues).toHaveLength(1);
  return issues[0];
}

const refusing =
  (reason: XlsxUnreadableReason, facts: XlsxUnreadableFacts = {}): XlsxToCsv =>
  async () => {
    throw new XlsxUnreadableError(reason, 'detail from the reader', facts);
  };

describe('workbook issues', () => {
  it.each<[XlsxUnreadableReason, XlsxUnreadableFacts, string, RegExp]>([
    [
      'legacy-xls',
      {},
      'EXCEL.XLS_UNSUPPORTED',
      /Excel 97-2003 workbook \(\.xls\).*"Excel Workbook \(\.xlsx\)" or as "CSV UTF-8/,
    ],
    ['password-protected', {}, 'EXCEL.PASSWORD_PROTECTED', /password-protected.*remove the password/],
    ['corrupt', {}, 'EXCEL.CORRUPT', /damaged or incompletely uploaded \(detail from the reader\)/],
    ['not-a-workbook', {}, 'EXCEL.NOT_A_WORKBOOK', /zip archive but not an Excel workbook.*unzip it/],
    [
      'empty-sheet',
      { sheetName: 'Cover', sheetNames: ['Cover', 'Data', 'Notes'] },
      'EXCEL.EMPTY_SHEET',
      /first sheet, "Cover", is empty.*The other sheets are: "Data", "Notes"\./,
    ],
    [
      'too-many-cells',
      { sheetName: 'Log', rows: 1_048_576, columns: 12 },
      'LIMIT.SHEET_TOO_LARGE',
      new RegExp(
        `"Log" has 1048576 rows × 12 columns = 12,582,912 cells; at most ${MAX_XLSX_SHEET_CELLS.toLocaleString('en-US')} cells \\(rows × columns\\)`,
      ),
    ],
    [
      'too-large',
      { unpackedBytes: 900 * 1024 * 1024 },
      'LIMIT.WORKBOOK_TOO_LARGE',
      /unpacks to 900 MB.*at most 256 MB/,
    ],
  ])('%s → %s', async (reason, facts, code, message) => {
    const issue = await issueFor(refusing(reason, facts));
    expect(issue?.code).toBe(code);
    expect(issue?.message).toMatch(message);
  });

  it('fails a sheet with only a header row, pointing at the row', async () => {
    const issue = await issueFor(async () => ({
      sheetNames: ['S'],
      sheetName: 'S',
      rowCount: 1,
      columnCount: 3,
      firstRow: 4,
    }));
    expect(issue).toMatchObject({ code: 'EXCEL.HEADER_ONLY', row: 4 });
    expect(issue?.message).toMatch(/"S" has one row \(the header\) and no data rows/);
  });

  it('refuses workbooks when no reader is wired', async () => {
    expect(await issueFor(undefined)).toEqual({ code: 'EXCEL.UNSUPPORTED', message: EXCEL_UNSUPPORTED });
  });
});
