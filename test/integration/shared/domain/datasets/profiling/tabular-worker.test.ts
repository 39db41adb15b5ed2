import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import type { VersionValidationIssue } from '../../../../../../shared/domain/datasets/dataset-records';
import type { DatabaseTransaction } from '../../../../../../shared/db/database';
import { dataApiJsonBytes, ROW_JSON_BUDGET_BYTES } from '../../../../../../shared/kernel/bounded-json';
import { loadFullReport } from '../../../../../../shared/domain/datasets/profiling/eda-report-repository';
import {
  profileReportSchema,
  type ProfileReport,
} from '../../../../../../shared/domain/datasets/profiling/profile-report';
import { sqlNumber, sqlString } from '../../../../../../shared/ports/sql-engine.port';
import { inSystemScope } from '../../../../support/fixtures';
import { startWorkerHarness, type WorkerHarness } from '../../../../support/worker-harness';
import { TEST_FIXTURES } from '../../../../../support/repo-paths';

const fixtures = join(TEST_FIXTURES, 'ingestion');
const fixture = (name: string) => readFile(join(fixtures, name));

let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** Reads what the worker wrote; the test connection is not a superuser, so row-level security applies. */
function read<T>(work: (trx: DatabaseTransaction) => Promise<T>): Promise<T> {
  return inSystemScope(h.testDb.db, work);
}

async function report(versionId: string): Promise<ProfileReport> {
  const row = await read((trx) =>
    trx
      .selectFrom('eda_reports')
      .selectAll()
      .where('dataset_version_id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
  expect(row.storage_location).toBe('postgres');
  return profileReportSchema.parse(row.full_report);
}

function issues(value: unknown): VersionValidationIssue[] {
  return value as VersionValidationIssue[];
}

describe('tabular worker', () => {
  it('reads a BOM, semicolon, CRLF CSV with quoted newlines and profiles it', async () => {
    const arrival = await h.arrive({ fileName: 'sales.csv', body: await fixture('bom-semicolon-crlf.csv') });
    await h.process(arrival);

    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.row_count).toBe(3);
    expect(version.column_count).toBe(4);
    expect(version.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(version.processed_object_key).toMatch(/\/data\.parquet$/);
    expect(await h.services.blobs.head(version.processed_object_key ?? '')).toBeDefined();
    const profile = await report(version.id);
    expect(profile.columns.map((c) => c.name)).toEqual(['id', 'name', 'price', 'sold_on']);
    expect(profile.preview.rows[0]).toEqual([1, 'Ann;\r\nB', 3.5, '2024-01-02']);
    const price = profile.columns.find((c) => c.name === 'price');
    expect(price?.mean).toBeCloseTo((3.5 + 4.25 + 10) / 3, 6);
    const job = await read((trx) =>
      trx
        .selectFrom('ingestion_jobs')
        .selectAll()
        .where('id', '=', arrival.message.ingestionJobId)
        .executeTakeFirstOrThrow(),
    );
    expect(job.status).toBe('completed');
    expect(job.progress_percent).toBe(100);
    const schema = await read((trx) =>
      trx
        .selectFrom('schema_deductions')
        .selectAll()
        .where('dataset_version_id', '=', version.id)
        .executeTakeFirstOrThrow(),
    );
    expect(schema.status).toBe('proposed');
    const types = Object.fromEntries(
      (schema.proposed_schema as { columns: { name: string; type: string }[] }).columns.map((c) => [
        c.name,
        c.type,
      ]),
    );
    expect(types).toMatchObject({ id: 'id', price: 'float', sold_on: 'date' });
  });

  it('converts Latin-1 to UTF-8 and says so', async () => {
    const arrival = await h.arrive({ fileName: 'cities.csv', body: await fixture('latin1.csv') });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    const profile = await report(version.id);
    expect(profile.preview.rows.map((r) => r[0])).toEqual(['München', 'Zürich']);
    expect(profile.warnings.map((w) => w.code)).toContain('encoding_converted');
  });

  it('reads TSV and JSON Lines', async () => {
    const tsv = await h.arrive({
      fileName: 'iris.tsv',
      format: 'tsv',
      body: await fixture('iris-sample.tsv'),
    });
    const jsonl = await h.arrive({
      fileName: 'people.jsonl',
      format: 'jsonl',
      body: await fixture('records.jsonl'),
    });
    await h.process(tsv);
    await h.process(jsonl);
    expect((await h.version(tsv)).column_count).toBe(3);
    const people = await h.version(jsonl);
    expect(people.status).toBe('validated');
    expect(people.row_count).toBe(2);
  });

  it.each([
    ['empty.csv', 'FILE.EMPTY'],
    ['header-only.csv', 'CSV.HEADER_ONLY'],
  ])('fails %s with %s', async (name, code) => {
    const arrival = await h.arrive({ fileName: name, body: await fixture(name) });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('failed');
    expect(issues(version.validation_errors)[0]?.code).toBe(code);
  });

  it('fails ragged rows naming the row, the reason and the line', async () => {
    const arrival = await h.arrive({ fileName: 'ragged.csv', body: await fixture('ragged.csv') });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('failed');
    const errors = issues(version.validation_errors);
    expect(errors.map((e) => [e.code, e.row, e.sample])).toEqual([
      ['CSV.RAGGED_ROW', 3, '4,5'],
      ['CSV.RAGGED_ROW', 4, '6,7,8,9'],
    ]);
    expect(errors[0]?.message).toMatch(/Row 3 has 2 field\(s\) but the header has 3/);
  });

  it('keeps duplicate header names with suffixes and a warning', async () => {
    const arrival = await h.arrive({ fileName: 'dup.csv', body: await fixture('duplicate-headers.csv') });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    const profile = await report(version.id);
    expect(profile.columns.map((c) => c.name)).toEqual(['name', 'name_1', 'score', 'column3']);
    expect(profile.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['duplicate_header', 'empty_header']),
    );
  });

  it('keeps a column with a late type conflict as text and names the row', async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => `${i},${i * 2}`);
    rows.push('25000,not-a-number');
    const arrival = await h.arrive({ fileName: 'late.csv', body: `id,value\n${rows.join('\n')}\n` });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.row_count).toBe(25_001);
    const profile = await report(version.id);
    expect(profile.columns.find((c) => c.name === 'value')?.type).toBe('VARCHAR');
    const conflict = profile.warnings.find((w) => w.code === 'type_conflict');
    expect(conflict?.column).toBe('value');
    expect(conflict?.message).toContain('row 25002');
  });

  it('validates a 5,000-column file with a truncated-profile warning', async () => {
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',');
    const lines = Array.from({ length: 5 }, (_, r) =>
      Array.from({ length: 5000 }, (_, i) => String(r + i)).join(','),
    );
    const arrival = await h.arrive({ fileName: 'wide.csv', body: `${header}\n${lines.join('\n')}\n` });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe('validated');
    expect(version.column_count).toBe(5000);
    const row = await read((trx) =>
      trx
        .selectFrom('eda_reports')
        .selectAll()
        .where('dataset_version_id', '=', version.id)
        .executeTakeFirstOrThrow(),
    );
    const summary = row.summary as { columnCount: number };
    expect(summary.columnCount).toBe(5000);
    // A 5,000-column report is far over what PostgreSQL keeps (a Data API row): it lives in S3.
    expect(row.storage_location).toBe('s3');
    expect(row.full_report).toBeNull();
    expect(await h.services.blobs.head(row.s3_key ?? '')).toBeDefined();
    const profile = await loadFullReport(h.services.blobs, row);
    expect(profile.limits.truncated).toBe(true);
    expect(profile.warnings.map((w) => w.code)).toContain('profile_truncated');

    // Every row this version wrote can be read back through the Data API (64 KB per row): the
    // JSON of each stays within the budget, the lists say what they leave out.
    const stored = await read(async (trx) => ({
      version: await trx
        .selectFrom('dataset_versions')
        .selectAll()
        .where('id', '=', version.id)
        .executeTakeFirstOrThrow(),
      schema: await trx
        .selectFrom('schema_deductions')
        .selectAll()
        .where('dataset_version_id', '=', version.id)
        .executeTakeFirstOrThrow(),
    }));
    const rowJson = (...values: unknown[]) => values.reduce<number>((n, v) => n + dataApiJsonBytes(v), 0);
    expect(rowJson(row.summary, row.full_report)).toBeLessThanOrEqual(ROW_JSON_BUDGET_BYTES);
    expect(
      rowJson(
        stored.version.columns_metadata,
        stored.version.modality_metadata,
        stored.version.validation_errors,
      ),
    ).toBeLessThanOrEqual(ROW_JSON_BUDGET_BYTES);
    expect(rowJson(stored.schema.proposed_schema, stored.schema.column_metadata)).toBeLessThanOrEqual(
      ROW_JSON_BUDGET_BYTES,
    );
    const listed = (stored.version.columns_metadata as { name: string }[]).map((c) => c.name);
    expect(listed.length).toBeGreaterThan(100);
    expect(listed).toEqual(Array.from({ length: listed.length }, (_, i) => `c${i}`));
    expect(stored.version.modality_metadata).toMatchObject({ columnsListed: listed.length });
    expect(stored.schema.proposed_schema).toMatchObject({ columnCount: 5000, truncated: true });
  }, 120_000);

  it('matches DuckDB SUMMARIZE on the same file and flags leakage of the target', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => {
      const x = (i * 37) % 101;
      return `${i},${x},${(x * 2 + 1).toFixed(1)},${i % 3 === 0 ? '' : String(i % 7)},${['red', 'green', 'blue'][i % 3]}`;
    });
    const csv = `id,x,y,z,colour\n${rows.join('\n')}\n`;
    const arrival = await h.arrive({ fileName: 'stats.csv', body: csv, targetColumn: 'y' });
    await h.process(arrival);
    const version = await h.version(arrival);
    const profile = await report(version.id);

    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'pw-summarize-'));
    const engine = await openDuckDbEngine({ tempDirectory: dir });
    try {
      await writeFile(join(dir, 'stats.csv'), csv);
      const summary = await engine.all(
        `SUMMARIZE SELECT * FROM read_csv(${sqlString(join(dir, 'stats.csv'))})`,
      );
      for (const name of ['x', 'y', 'z']) {
        const ours = profile.columns.find((c) => c.name === name);
        const theirs = summary.find((r) => r.column_name === name);
        expect(ours?.min).toBe(sqlNumber(theirs?.min));
        expect(ours?.max).toBe(sqlNumber(theirs?.max));
        expect(ours?.mean).toBeCloseTo(sqlNumber(theirs?.avg) ?? NaN, 9);
        expect(ours?.std).toBeCloseTo(sqlNumber(theirs?.std) ?? NaN, 9);
        expect(ours?.q50).toBe(sqlNumber(theirs?.q50));
        expect(ours?.missingPercent).toBeCloseTo(sqlNumber(theirs?.null_percentage) ?? NaN, 1);
        expect(ours?.approxDistinct).toBe(sqlNumber(theirs?.approx_unique));
      }
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
    const z = profile.columns.find((c) => c.name === 'z');
    expect(z?.missing).toBe(167);
    expect(profile.warnings.find((w) => w.code === 'target_leakage')?.column).toBe('x');
    const colour = profile.columns.find((c) => c.name === 'colour');
    expect(colour?.topValues.map((t) => t.count)).toEqual([167, 167, 166]);
    expect(profile.columns.find((c) => c.name === 'x')?.histogram?.reduce((n, b) => n + b.count, 0)).toBe(
      500,
    );
  });

  it('links a re-upload of identical content to the first version instead of processing it again', async () => {
    const body = 'k,v\n1,a\n2,b\n';
    const first = await h.arrive({ fileName: 'one.csv', body });
    await h.process(first);
    const second = await h.arrive({ fileName: 'again.csv', body });
    await h.process(second);
    const [a, b] = [await h.version(first), await h.version(second)];
    expect(b.status).toBe('validated');
    expect(b.duplicate_of_version_id).toBe(a.id);
    expect(b.processed_object_key).toBe(a.processed_object_key);
    expect(b.processed_size_bytes).toBe(0);
    const reports = await read((trx) =>
      trx
        .selectFrom('eda_reports')
        .select('dataset_version_id')
        .where('dataset_version_id', '=', b.id)
        .execute(),
    );
    expect(reports).toHaveLength(1);
  });

  it('fails only the poison message of a batch and finishes the others', async () => {
    const good = await h.arrive({ fileName: 'good.csv', body: 'a,b\n1,2\n' });
    const missingObject = await h.arrive({ fileName: 'gone.csv', body: 'a\n1\n' });
    await h.services.blobs.delete(missingObject.key);
    const garbage = { ...h.record(good), messageId: 'garbage', body: '{"kind":"nonsense"}' };
    const gone = h.record(missingObject);
    const result = await h.worker('tabular')({ Records: [garbage, gone, h.record(good)] });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['garbage', gone.messageId]);
    expect((await h.version(good)).status).toBe('validated');
    expect((await h.version(missingObject)).status).toBe('validating');

    // The last receive before the dead-letter queue marks the version failed with a message for the user.
    const last = await h.worker('tabular')({ Records: [h.record(missingObject, 5)] });
    expect(last.batchItemFailures).toHaveLength(1);
    const version = await h.version(missingObject);
    expect(version.status).toBe('failed');
    expect(issues(version.validation_errors)[0]?.message).toMatch(/on our side/);
  });
});

describe('the shared messy dataset fixtures', () => {
  const datasets = join(TEST_FIXTURES, 'datasets');
  it.each([
    ['bom-utf8.csv', 'validated'],
    ['crlf.csv', 'validated'],
    ['duplicate-headers.csv', 'validated'],
    ['empty.csv', 'failed'],
    ['header-only.csv', 'failed'],
    ['iris-sample.csv', 'validated'],
    ['latin1.csv', 'validated'],
    ['quoted-newlines.csv', 'validated'],
    ['ragged-rows.csv', 'failed'],
    ['semicolons.csv', 'validated'],
  ])('%s ends %s, with an actionable error when it fails', async (name, status) => {
    const arrival = await h.arrive({ fileName: name, body: await readFile(join(datasets, name)) });
    await h.process(arrival);
    const version = await h.version(arrival);
    expect(version.status).toBe(status);
    if (status === 'failed') {
      const first = issues(version.validation_errors)[0];
      expect(first?.code).toMatch(/^(FILE|CSV)\./);
      expect(first?.message.length).toBeGreaterThan(20);
    } else {
      expect(version.row_count).toBeGreaterThan(0);
    }
  });
});
