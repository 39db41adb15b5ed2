import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionValidationIssue } from '../../../../../../../shared/domain/datasets/dataset-records';
import { loadFullReport } from '../../../../../../../shared/domain/datasets/profiling/eda-report-repository';
import type { ProfileReport } from '../../../../../../../shared/domain/datasets/profiling/profile-report';
import { inSystemScope } from '../../../../../support/fixtures';
import { startWorkerHarness, type WorkerHarness } from '../../../../../support/worker-harness';
import { TEST_FIXTURES } from '../../../../../../support/repo-paths';

/** Public data files that ship with scikit-learn and statsmodels, read by the real tabular worker. */
const realWorld = (name: string) => readFile(join(TEST_FIXTURES, 'ingestion', 'real-world', name));

let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

async function ingest(fileName: string, body: Uint8Array | string) {
  const arrival = await h.arrive({ fileName, body });
  await h.process(arrival);
  const version = await h.version(arrival);
  const stored = await inSystemScope(h.testDb.db, async (trx) => ({
    report: await trx
      .selectFrom('eda_reports')
      .selectAll()
      .where('dataset_version_id', '=', version.id)
      .executeTakeFirst(),
    schema: await trx
      .selectFrom('schema_deductions')
      .select('proposed_schema')
      .where('dataset_version_id', '=', version.id)
      .executeTakeFirst(),
  }));
  const profile: ProfileReport | undefined = stored.report
    ? await loadFullReport(h.services.blobs, stored.report)
    : undefined;
  const schema = (
    stored.schema?.proposed_schema as
      { columns: { name: string; type: string; format: string | null; confidence: number }[] } | undefined
  )?.columns;
  return {
    version,
    profile,
    schema: schema ?? [],
    metadata: version.modality_metadata as Record<string, unknown>,
    errors: (version.validation_errors ?? []) as unknown as VersionValidationIssue[],
  };
}

const generated = (n: number) => Array.from({ length: n }, (_, i) => `column${i}`);

describe('scikit-learn files with a count line before headerless data', () => {
  it.each([
    ['breast_cancer.csv', 569, 31, '569,30,malignant,benign', { '0': 'malignant', '1': 'benign' }],
    [
      'wine_data.csv',
      178,
      14,
      '178,13,class_0,class_1,class_2',
      { '0': 'class_0', '1': 'class_1', '2': 'class_2' },
    ],
    [
      'iris.csv',
      150,
      5,
      '150,4,setosa,versicolor,virginica',
      { '0': 'setosa', '1': 'versicolor', '2': 'virginica' },
    ],
  ])(
    '%s validates as %i × %i with generated names, the skipped line named, and its class names',
    async (file, rows, columns, preamble, labels) => {
      const { version, profile, metadata } = await ingest(file, await realWorld(file));
      expect(version.status).toBe('validated');
      expect([version.row_count, version.column_count]).toEqual([rows, columns]);
      expect(profile?.columns.map((c) => c.name)).toEqual(generated(columns));
      expect(profile?.columns.every((c) => c.kind === 'numeric')).toBe(true);
      const skipped = profile?.warnings.find((w) => w.code === 'preamble_skipped');
      expect(skipped?.value).toBe(1);
      expect(skipped?.message).toContain(`Line 1 ("${preamble}") was skipped`);
      expect(profile?.warnings.find((w) => w.code === 'generated_header')?.message).toContain(
        `column0 … column${columns - 1}`,
      );
      expect(metadata.labelMapping).toEqual({ column: `column${columns - 1}`, labels });
      expect(metadata.csv).toMatchObject({ delimiter: ',', header: false, skipRows: 1, given: [] });
    },
  );
});

describe('other real files', () => {
  it('reads boston house prices past its count line, with CRIM … MEDV as the numeric header', async () => {
    const { version, profile, metadata } = await ingest(
      'boston_house_prices.csv',
      await realWorld('boston_house_prices.csv'),
    );
    expect(version.status).toBe('validated');
    expect([version.row_count, version.column_count]).toEqual([506, 14]);
    expect(profile?.columns.map((c) => c.name)).toEqual([
      'CRIM',
      'ZN',
      'INDUS',
      'CHAS',
      'NOX',
      'RM',
      'AGE',
      'DIS',
      'RAD',
      'TAX',
      'PTRATIO',
      'B',
      'LSTAT',
      'MEDV',
    ]);
    expect(profile?.columns.filter((c) => c.kind !== 'numeric').map((c) => c.name)).toEqual([]);
    expect(profile?.warnings.find((w) => w.code === 'preamble_skipped')?.message).toMatch(
      /^Line 1 \("506,13,/,
    );
    expect(profile?.warnings.map((w) => w.code)).not.toContain('generated_header');
    expect(metadata.labelMapping).toBeUndefined();
    expect(metadata.csv).toMatchObject({ header: true, skipRows: 1 });
  });

  it('reads the space-separated, headerless diabetes file as 442 × 10', async () => {
    const { version, profile, metadata } = await ingest(
      'diabetes_data_raw.csv',
      await realWorld('diabetes_data_raw.csv'),
    );
    expect(version.status).toBe('validated');
    expect([version.row_count, version.column_count]).toEqual([442, 10]);
    expect(profile?.columns.map((c) => c.name)).toEqual(generated(10));
    expect(profile?.columns.every((c) => c.kind === 'numeric')).toBe(true);
    expect(profile?.warnings.map((w) => w.code)).toContain('generated_header');
    expect(metadata.csv).toMatchObject({ delimiter: 'whitespace', header: false, skipRows: 0 });
  });

  it("proposes statsmodels' YYYYMMDD co2 dates as dates, with less than full confidence", async () => {
    const { version, schema } = await ingest('co2.csv', await realWorld('co2.csv'));
    expect(version.status).toBe('validated');
    expect([version.row_count, version.column_count]).toEqual([2284, 2]);
    const date = schema.find((c) => c.name === 'date');
    expect(date).toMatchObject({ type: 'date', format: '%Y%m%d' });
    expect(date?.confidence).toBeGreaterThan(0.5);
    expect(date?.confidence).toBeLessThan(1);
    expect(schema.find((c) => c.name === 'co2')?.type).toBe('float');
  });
});

describe('consistent types', () => {
  it('previews integers as JSON numbers up to 2^53 − 1 and as strings beyond', async () => {
    const body = 'id,big,ratio\n1,9007199254740991,0.5\n2,9007199254740993,1.5\n3,-12,2.5\n';
    const { version, profile } = await ingest('integers.csv', body);
    expect(version.status).toBe('validated');
    expect(profile?.preview.rows).toEqual([
      [1, 9007199254740991, 0.5],
      [2, '9007199254740993', 1.5],
      [3, -12, 2.5],
    ]);
  });

  it("gives each profiled column its type in the schema's names and labels approximate statistics", async () => {
    const { profile, schema } = await ingest('co2-types.csv', await realWorld('co2.csv'));
    expect(profile?.columns.map((c) => [c.name, c.logicalType])).toEqual([
      ['date', 'integer'],
      ['co2', 'float'],
    ]);
    // Same names: the schema proposes further (a date), from the same stored type.
    expect(schema.find((c) => c.name === 'co2')?.type).toBe(profile?.columns[1]?.logicalType);
    expect(profile?.approximate).toEqual(['approxDistinct', 'q25', 'q50', 'q75']);
  });
});

describe('clear errors', () => {
  it('counts ragged rows once each, however many extra fields a row has', async () => {
    const good = Array.from({ length: 40 }, (_, i) => `${i},1`);
    const wide = Array.from({ length: 30 }, (_, i) => `${i},1,2,3,4,5`);
    const body = ['a,b', ...good, ...wide, ''].join('\n');
    const { version, errors } = await ingest('wide-rows.csv', body);
    expect(version.status).toBe('failed');
    expect(errors[0]?.message).toMatch(/^Row 42 has 6 fields but the header has 2/);
    expect(errors.filter((e) => e.code === 'CSV.RAGGED_ROW')).toHaveLength(20);
    expect(errors.at(-1)?.message).toBe('10 more row(s) have problems like the ones above.');
  });

  it.each([
    [
      'a gzip-compressed file',
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c]),
    ],
    [
      'a PDF document',
      Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
    ],
    [
      'a PNG image',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]),
    ],
  ])('reports %s named .csv as not a text file, without a server path', async (looksLike, body) => {
    const { version, errors } = await ingest('data.csv', body);
    expect(version.status).toBe('failed');
    expect(errors[0]?.code).toBe('FILE.NOT_TEXT');
    expect(errors[0]?.message).toContain(`The file is not a text file: it looks like ${looksLike}`);
    expect(JSON.stringify(errors)).not.toMatch(/\/tmp|\/raw|sniffing/);
  });
});
