import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileValidationFailure } from '../../../../../../../shared/domain/datasets/ingestion/workers/file-validation-failure';
import { VALIDATION_ERRORS_LIMIT_BYTES } from '../../../../../../../shared/domain/datasets/ingestion/workers/version-json-limits';
import {
  DATA_API_ROW_LIMIT_BYTES,
  dataApiJsonBytes,
  fitPrefix,
  ROW_JSON_BUDGET_BYTES,
} from '../../../../../../../shared/kernel/bounded-json';
import {
  placeProfileReport,
  POSTGRES_REPORT_LIMIT_BYTES,
} from '../../../../../../../shared/domain/datasets/profiling/eda-report-repository';
import {
  PROFILE_REPORT_VERSION,
  summarizeProfile,
  SUMMARY_LIMIT_BYTES,
  type ColumnProfile,
  type ProfileReport,
} from '../../../../../../../shared/domain/datasets/profiling/profile-report';
import { DirectoryBlobStore } from '../../../../../support/node-test-context';

/**
 * JSON kept in PostgreSQL must come back through the Data API, which returns no row over 64 KB:
 * reports go to the object store above a threshold well under it, and lists are capped.
 */
const column = (name: string): ColumnProfile => ({
  name,
  type: 'BIGINT',
  kind: 'numeric',
  count: 10,
  missing: 0,
  missingPercent: 0,
  approxDistinct: 10,
  min: 0,
  max: 9,
  mean: 4.5,
  std: 2.9,
  q25: 2,
  q50: 4,
  q75: 7,
  skewness: 0,
  topValues: [],
  histogram: null,
});

function report(columns: ColumnProfile[], padding = ''): ProfileReport {
  return {
    reportVersion: PROFILE_REPORT_VERSION,
    generatedAt: `2026-11-21T10:00:00.000Z${padding}`,
    rowCount: 10,
    columnCount: columns.length,
    duplicateRows: 0,
    duplicateRowPercent: 0,
    columns,
    correlations: [],
    warnings: [],
    limits: { detailedColumns: columns.length, correlationColumns: 0, truncated: false },
    preview: { columns: columns.map((c) => c.name), rows: [] },
  };
}

/** A report whose JSON, as the Data API returns it, is exactly `bytes` (each plain letter is one byte). */
function reportOfSize(bytes: number): ProfileReport {
  const padded = report([column('a')], 'x'.repeat(bytes - dataApiJsonBytes(report([column('a')]))));
  expect(dataApiJsonBytes(padded)).toBe(bytes);
  return padded;
}

let dir: string;
let blobs: DirectoryBlobStore;
const ref = {
  userId: '11111111-1111-4111-8111-111111111111',
  datasetId: '22222222-2222-4222-8222-222222222222',
  datasetVersionId: '33333333-3333-4333-8333-333333333333',
  versionNumber: 1,
};
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pw-data-api-limits-'));
  blobs = new DirectoryBlobStore(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('where an EDA report is kept', () => {
  it('the threshold leaves the row (report and summary) within the Data API row limit', () => {
    expect(POSTGRES_REPORT_LIMIT_BYTES + SUMMARY_LIMIT_BYTES).toBeLessThanOrEqual(ROW_JSON_BUDGET_BYTES);
    expect(ROW_JSON_BUDGET_BYTES).toBeLessThan(DATA_API_ROW_LIMIT_BYTES);
  });

  it('keeps a report of exactly the threshold in PostgreSQL and one byte more in the object store', async () => {
    const atLimit = await placeProfileReport(blobs, ref, reportOfSize(POSTGRES_REPORT_LIMIT_BYTES));
    expect(atLimit.location).toBe('postgres');
    const over = await placeProfileReport(blobs, ref, reportOfSize(POSTGRES_REPORT_LIMIT_BYTES + 1));
    expect(over.location).toBe('s3');
    expect(over.key).toBeDefined();
    expect(await blobs.head(over.key ?? '')).toBeDefined();
  });

  it('counts escaping: a report under the threshold as plain JSON but over it as the Data API returns it goes to S3', async () => {
    // Quotes and non-ASCII text grow when the JSON is returned inside JSON.
    const text = '"é'.repeat(Math.ceil(POSTGRES_REPORT_LIMIT_BYTES / 6));
    const escaped = report([column('a')], text);
    expect(Buffer.byteLength(JSON.stringify(escaped))).toBeLessThan(POSTGRES_REPORT_LIMIT_BYTES);
    expect((await placeProfileReport(blobs, ref, escaped)).location).toBe('s3');
  });

  it('a 1 MB report, once kept in PostgreSQL, is now in the object store', async () => {
    const wide = report(Array.from({ length: 3_000 }, (_, i) => column(`column_${i}`)));
    expect(Buffer.byteLength(JSON.stringify(wide))).toBeLessThan(1024 * 1024);
    expect((await placeProfileReport(blobs, ref, wide)).location).toBe('s3');
  });

  it('the summary of a table with long column names stays small and still counts every column', () => {
    const wide = report(Array.from({ length: 500 }, (_, i) => column(`${'long_name_'.repeat(25)}${i}`)));
    const summary = summarizeProfile(wide);
    expect(dataApiJsonBytes(summary)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(summary.columnCount).toBe(500);
    expect(summary.columns.length).toBeGreaterThan(10);
    expect(summary.columns.map((c) => c.name)).toEqual(
      wide.columns.slice(0, summary.columns.length).map((c) => c.name),
    );
  });
});

describe('capped lists', () => {
  it('fitPrefix keeps the longest prefix that fits, exactly', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, note: 'a "quoted" é' }));
    for (const n of [0, 1, 37, 100]) {
      expect(fitPrefix(items, dataApiJsonBytes(items.slice(0, n)))).toHaveLength(n);
      if (n > 0) expect(fitPrefix(items, dataApiJsonBytes(items.slice(0, n)) - 1)).toHaveLength(n - 1);
    }
  });

  it('a file with thousands of problems stores the first ones and says how many more there were', () => {
    const problems = Array.from({ length: 5_000 }, (_, i) => ({
      code: 'CSV.RAGGED_ROW',
      message: `Row ${i + 2} has 3 fields; the header has 4. ${'Check the quoting of this row. '.repeat(5)}`,
      row: i + 2,
    }));
    const failure = new FileValidationFailure(problems);
    expect(dataApiJsonBytes(failure.issues)).toBeLessThanOrEqual(VALIDATION_ERRORS_LIMIT_BYTES);
    expect(failure.issues[0]).toEqual(problems[0]);
    const last = failure.issues.at(-1);
    expect(last?.code).toBe('VALIDATION.MORE_ISSUES');
    expect(last?.message).toContain(
      `${(5_000 - (failure.issues.length - 1)).toLocaleString('en-US')} more problems`,
    );
    expect(failure.message).toBe(problems[0]?.message);
    // A few problems are kept as they are.
    expect(new FileValidationFailure(problems.slice(0, 2)).issues).toEqual(problems.slice(0, 2));
  });
});
