import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import { convertXlsxToCsv } from '../../../../../../../shared/adapters/excel/xlsx-to-csv';
import type { VersionValidationIssue } from '../../../../../../../shared/domain/datasets/dataset-records';
import type { DatabaseTransaction } from '../../../../../../../shared/db/database';
import { withSystemScope } from '../../../../../../../shared/db/tenant';
import {
  makeIngestionWorker,
  type IngestionWorkerHandler,
} from '../../../../../../../shared/domain/datasets/ingestion/workers/ingestion-worker';
import { makeTabularProcessor } from '../../../../../../../shared/domain/datasets/ingestion/workers/tabular-processor';
import {
  profileReportSchema,
  type ProfileReport,
} from '../../../../../../../shared/domain/datasets/profiling/profile-report';
import {
  buildCompoundFileHead,
  buildWorkbook,
} from '../../../../../../fixtures/ingestion/xlsx/build-workbook';
import { startWorkerHarness, type Arrival, type WorkerHarness } from '../../../../../support/worker-harness';

let h: WorkerHarness;
let worker: IngestionWorkerHandler;
beforeAll(async () => {
  h = await startWorkerHarness();
  // The tabular worker as the composition roots wire it once workbooks are read.
  worker = makeIngestionWorker(() => h.services, {
    modality: 'tabular',
    processor: makeTabularProcessor({ xlsxToCsv: convertXlsxToCsv }),
    openEngine: openDuckDbEngine,
  });
});
afterAll(async () => {
  await h?.stop();
});

async function ingest(fileName: string, body: Uint8Array) {
  const arrival: Arrival = await h.arrive({ fileName, body, format: 'excel' });
  const result = await worker({ Records: [h.record(arrival)] });
  expect(result.batchItemFailures).toEqual([]);
  return h.version(arrival);
}

/** Reads what the worker wrote; the test connection is not a superuser, so row-level security applies. */
function read<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return withSystemScope(h.testDb.db, 'admin.test-fixture', work);
}

async function report(versionId: string): Promise<ProfileReport> {
  const row = await read((trx) =>
    trx
      .selectFrom('eda_reports')
      .selectAll()
      .where('dataset_version_id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
  return profileReportSchema.parse(row.full_report);
}

async function proposedTypes(versionId: string): Promise<Record<string, string>> {
  const row = await read((trx) =>
    trx
      .selectFrom('schema_deductions')
      .selectAll()
      .where('dataset_version_id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
  const columns = (row.proposed_schema as { columns: { name: string; type: string }[] }).columns;
  return Object.fromEntries(columns.map((c) => [c.name, c.type]));
}

function issues(value: unknown): VersionValidationIssue[] {
  return value as VersionValidationIssue[];
}

const day = (y: number, m: number, d: number, hh = 0, mm = 0) => new Date(Date.UTC(y, m - 1, d, hh, mm));

describe('Excel workbooks in the tabular worker', () => {
  it('validates a workbook with numbers, dates, booleans, empty cells and a comma inside a value', async () => {
    const version = await ingest(
      'orders.xlsx',
      buildWorkbook([
        {
          name: 'Orders',
          rows: [
            ['order_id', 'customer', 'amount', 'ordered_on', 'shipped_at', 'paid', 'note'],
            [1001, 'Smith, Ann', 19.99, day(2024, 1, 2), day(2024, 1, 3, 9, 15), true, 'gift'],
            [1002, 'Bob', 5, day(2024, 1, 5), day(2024, 1, 6, 14, 0), false, null],
            [1003, 'Chloé "CJ" Jones', 120.5, day(2024, 2, 29), null, true, null],
            [1004, 'Dan', null, day(2024, 3, 1), day(2024, 3, 2, 8, 0), null, 'late'],
          ],
        },
      ]),
    );
    expect(version.status).toBe('validated');
    expect(version.row_count).toBe(4);
    expect(version.column_count).toBe(7);
    expect(version.modality_metadata).toMatchObject({
      inputFormat: 'excel',
      sheet: 'Orders',
      sheets: ['Orders'],
    });

    const storage = Object.fromEntries(
      (version.columns_metadata as { name: string; type: string }[]).map((c) => [c.name, c.type]),
    );
    expect(storage).toMatchObject({
      order_id: 'BIGINT',
      customer: 'VARCHAR',
      amount: 'DOUBLE',
      ordered_on: 'DATE',
      shipped_at: 'TIMESTAMP',
      paid: 'BOOLEAN',
      note: 'VARCHAR',
    });
    expect(await proposedTypes(version.id)).toMatchObject({
      amount: 'float',
      ordered_on: 'date',
      paid: 'boolean',
    });

    const profile = await report(version.id);
    expect(profile.preview.rows.map((r) => r[1])).toEqual(['Smith, Ann', 'Bob', 'Chloé "CJ" Jones', 'Dan']);
    const amount = profile.columns.find((c) => c.name === 'amount');
    expect(amount?.missing).toBe(1);
    expect(amount?.mean).toBeCloseTo((19.99 + 5 + 120.5) / 3, 6);
    expect(profile.columns.find((c) => c.name === 'note')?.missing).toBe(2);
  });

  it('reads the first of two sheets and records both names', async () => {
    const version = await ingest(
      'report.xlsx',
      buildWorkbook([
        {
          name: 'Measurements',
          rows: [
            ['site', 'value'],
            ['north', 1.5],
            ['south', 2.5],
            ['east', 3],
          ],
        },
        { name: 'Notes', rows: [['remark'], ['collected by hand']] },
      ]),
    );
    expect(version.status).toBe('validated');
    expect(version.row_count).toBe(3);
    expect(version.column_count).toBe(2);
    expect(version.modality_metadata).toMatchObject({
      sheet: 'Measurements',
      sheets: ['Measurements', 'Notes'],
    });
    const profile = await report(version.id);
    expect(profile.columns.map((c) => c.name)).toEqual(['site', 'value']);
  });

  it('fails a damaged workbook and says how to fix it', async () => {
    const whole = buildWorkbook([
      {
        name: 'S',
        rows: [
          ['a', 'b'],
          [1, 2],
        ],
      },
    ]);
    const version = await ingest('cut.xlsx', whole.subarray(0, Math.floor(whole.length / 2)));
    expect(version.status).toBe('failed');
    const [issue] = issues(version.validation_errors);
    expect(issue?.code).toBe('EXCEL.CORRUPT');
    expect(issue?.message).toMatch(/damaged or incompletely uploaded/);
    expect(issue?.message).toMatch(/save it again as \.xlsx, or save the sheet you need as "CSV UTF-8/);
    const job = await read((trx) =>
      trx
        .selectFrom('ingestion_jobs')
        .select('status')
        .where('dataset_version_id', '=', version.id)
        .executeTakeFirstOrThrow(),
    );
    expect(job.status).toBe('failed');
  });

  it('fails a legacy .xls workbook and asks for .xlsx or CSV', async () => {
    const version = await ingest('old-report.xls', buildCompoundFileHead('Workbook'));
    expect(version.status).toBe('failed');
    const [issue] = issues(version.validation_errors);
    expect(issue?.code).toBe('EXCEL.XLS_UNSUPPORTED');
    expect(issue?.message).toMatch(/save it as "Excel Workbook \(\.xlsx\)" or as "CSV UTF-8/);
  });

  it('fails a password-protected workbook and an empty first sheet with their own reasons', async () => {
    const locked = await ingest('locked.xlsx', buildCompoundFileHead('EncryptedPackage'));
    expect(issues(locked.validation_errors)[0]?.code).toBe('EXCEL.PASSWORD_PROTECTED');
    const empty = await ingest(
      'blank-first.xlsx',
      buildWorkbook([
        { name: 'Sheet1', rows: [] },
        { name: 'Data', rows: [['a'], [1]] },
      ]),
    );
    expect(empty.status).toBe('failed');
    const [issue] = issues(empty.validation_errors);
    expect(issue?.code).toBe('EXCEL.EMPTY_SHEET');
    expect(issue?.message).toMatch(/The first sheet, "Sheet1", is empty\..*The other sheets are: "Data"\./);
  });
});
