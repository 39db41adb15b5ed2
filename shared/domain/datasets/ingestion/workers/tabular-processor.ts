import { stat } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JsonValue } from '../../../../db/schema';
import { givenLayout, storedCsvOptions } from '../../csv-parse-options';
import type { VersionValidationIssue } from '../../dataset-records';
import type { ProfileReport, ProfileWarning } from '../../profiling/profile-report';
import { profileTable } from '../../profiling/profile-table';
import {
  SqlEngineError,
  sqlErrorDetail,
  sqlNumber,
  sqlString,
  sqlText,
  type SqlEngine,
} from '../../../../ports/sql-engine.port';
import { deduceColumn, type DeducedColumn } from '../../schema-deduction/deduce-schema';
import { sampleColumnValues } from '../../schema-deduction/sample-column-values';
import {
  detectCsvDialect,
  parseCountLine,
  splitRecords,
  splitWhitespace,
  WHITESPACE_DELIMITER,
  type CsvDialect,
  type PreambleLine,
} from './detect-csv-dialect';
import { FileValidationFailure, failFile, sampleOf } from './file-validation-failure';
import type { ModalityProcessor, ProcessorContext, ProcessorOutcome } from './modality-processor';
import { listColumnsMetadata } from './version-json-limits';
import { describeBinary, normalizeToUtf8, readHead, type TextEncoding } from './text-encoding';
import { XlsxUnreadableError, type XlsxToCsv, type XlsxToCsvResult } from './xlsx-to-csv.port';

/**
 * The tabular path: CSV/TSV (delimiter, quoting, header and encoding detection), JSON, JSON Lines
 * and Parquet are validated and converted to one Parquet file by the SQL engine, then profiled and
 * given a proposed schema. Excel workbooks (.xlsx) are read through the XlsxToCsv port: the first
 * sheet becomes a CSV that takes the delimited path; without that port they are refused
 * (EXCEL_UNSUPPORTED).
 *
 * Policy choices, documented here because users see their effects:
 * - duplicate header names are kept and renamed with a numeric suffix (`name`, `name_1`), with a
 *   warning; empty header names become `column{n}`, with a warning;
 * - a row with too few or too many fields, an unterminated quote or invalid text fails the version
 *   (dropping rows silently would change the data); the errors list up to 20 rows with the reason;
 * - a value that does not fit the type detected from the first rows (a type conflict) is not an
 *   error: the column is kept as text and a warning names the first row and value in conflict;
 * - up to MAX_COLUMNS columns are accepted (5,000 included); wider files fail and ask to be split;
 * - of a workbook, only the first sheet is read (the sheet names are kept in the version's metadata);
 *   a sheet over MAX_XLSX_SHEET_CELLS cells fails and asks for a CSV, as do legacy .xls files,
 *   encrypted or damaged workbooks and an empty first sheet.
 */
export const TABULAR_LIMITS = {
  maxColumns: 10_000,
  maxListedIssues: 20,
  headBytes: 1 << 20,
  sniffSampleRows: 20_480,
  /** Conversion attempts while widening conflicting columns to text. */
  maxTypeConflictPasses: 3,
} as const;

export const EXCEL_UNSUPPORTED =
  'Excel workbooks cannot be read yet: open the file, choose "Save As" → "CSV UTF-8 (Comma delimited)" for the sheet you want, and upload the CSV.';

/** For a legacy .xls workbook, wherever it is noticed (by extension at upload, by content here). */
export const LEGACY_XLS_MESSAGE =
  'This is an Excel 97-2003 workbook (.xls), an old binary format that is not read here. Open it in Excel or LibreOffice and save it as "Excel Workbook (.xlsx)" or as "CSV UTF-8 (Comma delimited)", then upload that file.';

/**
 * Largest sheet read from a workbook, in cells (rows × columns). The reader holds the whole
 * workbook in memory (about 300 bytes per cell at peak, measured), and the tabular worker has
 * 3 GB shared with the SQL engine; CSV files are streamed and have no such bound.
 */
export const MAX_XLSX_SHEET_CELLS = 5_000_000;
/** Largest unpacked size of a workbook's XML parts, checked from the zip directory before reading. */
export const MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024;

export interface TabularDependencies {
  /** Reads .xlsx workbooks; when absent they are refused with EXCEL_UNSUPPORTED. */
  xlsxToCsv?: XlsxToCsv;
}

/** The tabular processor with its adapters (e.g. `{ xlsxToCsv: convertXlsxToCsv }`). */
export function makeTabularProcessor(deps: TabularDependencies): ModalityProcessor {
  return async (context) => (await convertAndProfileTabular(context, deps)).outcome;
}

export type TabularFormat = 'csv' | 'tsv' | 'json' | 'jsonl' | 'parquet' | 'excel';

export interface TabularResult {
  outcome: ProcessorOutcome & { profile: ProfileReport; schema: DeducedColumn[] };
  /** The converted Parquet file on local disk (the time-series path reads it again). */
  parquetPath: string;
}

export async function processTabular(context: ProcessorContext): Promise<ProcessorOutcome> {
  return (await convertAndProfileTabular(context)).outcome;
}

export async function convertAndProfileTabular(
  context: ProcessorContext,
  deps: TabularDependencies = {},
): Promise<TabularResult> {
  if (context.sizeBytes === 0)
    failFile('FILE.EMPTY', 'The file is empty. Upload a file with a header row and at least one data row.');
  const engine = await context.engine();
  const head = await readHead(context.filePath, TABULAR_LIMITS.headBytes);
  const format = detectTabularFormat(context.version.originalFormat, context.version.originalFilename, head);

  await context.progress(20, 'validating');
  const parquetPath = join(context.tempDir, 'data.parquet');
  let workbook: XlsxToCsvResult | undefined;
  let prepared: Prepared;
  if (format === 'excel') {
    const csvPath = join(context.tempDir, 'sheet.csv');
    workbook = await readWorkbook(deps.xlsxToCsv, context.filePath, csvPath);
    prepared = await convertDelimited(engine, { ...context, filePath: csvPath }, 'csv', parquetPath, ',');
  } else {
    prepared =
      format === 'csv' || format === 'tsv'
        ? await convertDelimited(engine, context, format, parquetPath)
        : await convertStructured(engine, context.filePath, format, parquetPath);
  }

  await context.progress(45, 'storing');
  const { size } = await stat(parquetPath);
  await context.blobs.put(context.processedKey, createReadStream(parquetPath), {
    contentType: 'application/vnd.apache.parquet',
    contentLength: size,
  });

  await context.progress(55, 'profiling');
  const relation = `read_parquet(${sqlString(parquetPath)})`;
  const profile = await profileTable(engine, relation, {
    targetColumn: context.dataset.targetColumn,
    now: context.now,
    warnings: prepared.warnings,
    onProgress: (fraction) => context.progress(55 + fraction * 30, 'profiling'),
  });
  if (profile.rowCount === 0) {
    failFile(
      format === 'csv' || format === 'tsv' ? 'CSV.HEADER_ONLY' : 'FILE.NO_ROWS',
      format === 'csv' || format === 'tsv'
        ? `The file has a header row (${profile.columns
            .map((c) => c.name)
            .slice(0, 10)
            .join(', ')}) but no data rows.`
        : 'The file contains no records.',
    );
  }

  await context.progress(88, 'deducing schema');
  const samples = await sampleColumnValues(
    engine,
    relation,
    profile.columns.map((c) => c.name),
  );
  const schema = profile.columns.map((column) =>
    deduceColumn({
      profile: column,
      samples: samples.get(column.name) ?? [],
      dateFormat: prepared.dateFormat,
      timestampFormat: prepared.timestampFormat,
    }),
  );

  const { columnsMetadata, columnsListed } = listColumnsMetadata(
    schema.map((c) => ({ name: c.name, type: c.storageType, semanticType: c.type, nullable: c.nullable })),
  );
  const listedNote: Record<string, number> = columnsListed === undefined ? {} : { columnsListed };
  return {
    parquetPath,
    outcome: {
      processedObjectKey: context.processedKey,
      processedSizeBytes: size,
      rowCount: profile.rowCount,
      columnCount: profile.columnCount,
      columnsMetadata,
      modalityMetadata: workbook
        ? {
            inputFormat: format,
            ...listedNote,
            sheet: workbook.sheetName,
            sheets: workbook.sheetNames.slice(0, 100),
            ...(workbook.firstRow > 1 ? { firstRow: workbook.firstRow } : {}),
            ...(prepared.hasHeader === undefined ? {} : { hasHeader: prepared.hasHeader }),
          }
        : {
            inputFormat: format,
            ...listedNote,
            ...(prepared.encoding ? { encoding: prepared.encoding } : {}),
            ...(prepared.delimiter ? { delimiter: prepared.delimiter } : {}),
            ...(prepared.hasHeader === undefined ? {} : { hasHeader: prepared.hasHeader }),
            ...(prepared.csv ? { csv: prepared.csv } : {}),
            ...labelMappingOf(profile, prepared.classNames),
          },
      profile,
      schema,
      warnings: profile.warnings,
    },
  };
}

/**
 * The label mapping a count line gives (`569,30,malignant,benign`): class names for the codes
 * 0…n-1 of the last column, kept only when that column holds exactly such codes.
 */
function labelMappingOf(
  profile: ProfileReport,
  classNames: readonly string[] | undefined,
): { labelMapping?: JsonValue } {
  const last = profile.columns.at(-1);
  if (!classNames || !last || last.kind !== 'numeric' || !/INT/i.test(last.type)) return {};
  const [min, max] = [Number(last.min), Number(last.max)];
  if (!(min >= 0 && max < classNames.length)) return {};
  return {
    labelMapping: {
      column: last.name,
      labels: Object.fromEntries(classNames.map((name, code) => [String(code), name])),
    },
  };
}

/**
 * Format by content first (Parquet, zip and OLE2 magic bytes, JSON's first character), then by the
 * declared format. OLE2 (legacy .xls, encrypted .xlsx) goes to the workbook reader, which says which.
 */
export function detectTabularFormat(declared: string, fileName: string, head: Uint8Array): TabularFormat {
  const magic = String.fromCharCode(...head.subarray(0, 4));
  if (magic === 'PAR1') return 'parquet';
  if (magic === 'PK\u0003\u0004' || magic === '\u00d0\u00cf\u0011\u00e0') return 'excel';
  if (declared === 'parquet')
    failFile(
      'PARQUET.INVALID',
      'The file is named as Parquet but does not start with the Parquet magic bytes "PAR1".',
    );
  if (declared === 'excel')
    failFile(
      'EXCEL.INVALID',
      'The file is named as an Excel workbook but is not one (an .xlsx file is a zip archive; this file is not). Open it in Excel or LibreOffice and save it as "Excel Workbook (.xlsx)" or as "CSV UTF-8", then upload that file.',
    );
  const lower = fileName.toLowerCase();
  if (declared === 'tsv' || lower.endsWith('.tsv') || lower.endsWith('.tab')) return 'tsv';
  if (declared === 'jsonl' || lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (declared === 'json' || lower.endsWith('.json')) return 'json';
  const text = new TextDecoder()
    .decode(head.subarray(0, 256))
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (declared !== 'csv' && (text.startsWith('{') || text.startsWith('[')))
    return text.startsWith('[') ? 'json' : 'jsonl';
  return 'csv';
}

/** Writes the workbook's first sheet as CSV, turning each reason it cannot be read into an actionable issue. */
async function readWorkbook(
  xlsxToCsv: XlsxToCsv | undefined,
  inputPath: string,
  outputPath: string,
): Promise<XlsxToCsvResult> {
  if (!xlsxToCsv) failFile('EXCEL.UNSUPPORTED', EXCEL_UNSUPPORTED);
  let result: XlsxToCsvResult;
  try {
    result = await xlsxToCsv({
      inputPath,
      outputPath,
      maxCells: MAX_XLSX_SHEET_CELLS,
      maxUnpackedBytes: MAX_XLSX_UNPACKED_BYTES,
    });
  } catch (error) {
    if (error instanceof XlsxUnreadableError) workbookIssue(error);
    throw error;
  }
  if (result.rowCount === 1) {
    failFile(
      'EXCEL.HEADER_ONLY',
      `The sheet "${result.sheetName}" has one row (the header) and no data rows. Add data rows below the header, or put the sheet with your data first in the workbook.`,
      { row: result.firstRow },
    );
  }
  return result;
}

const SAVE_AS_CSV = 'save the sheet you need as "CSV UTF-8 (Comma delimited)" and upload the CSV';

function workbookIssue(error: XlsxUnreadableError): never {
  const { sheetName, sheetNames = [], rows, columns, unpackedBytes } = error.facts;
  switch (error.reason) {
    case 'legacy-xls':
      return failFile('EXCEL.XLS_UNSUPPORTED', LEGACY_XLS_MESSAGE);
    case 'password-protected':
      return failFile(
        'EXCEL.PASSWORD_PROTECTED',
        `The workbook is password-protected (encrypted), so its sheets cannot be read. Open it in Excel, remove the password (File → Info → Protect Workbook → Encrypt with Password, clear the password), save and upload it again; or ${SAVE_AS_CSV}.`,
      );
    case 'not-a-workbook':
      return failFile(
        'EXCEL.NOT_A_WORKBOOK',
        'The file is a zip archive but not an Excel workbook (it has no workbook part). If it holds a CSV, unzip it and upload the CSV; if it is a spreadsheet from another program, save it as "Excel Workbook (.xlsx)" first.',
      );
    case 'corrupt':
      return failFile(
        'EXCEL.CORRUPT',
        `The workbook could not be read: it looks damaged or incompletely uploaded (${sampleOf(error.message, 160)}). Open it in Excel or LibreOffice and save it again as .xlsx, or ${SAVE_AS_CSV}.`,
      );
    case 'empty-sheet': {
      const others = sheetNames.filter((name) => name !== sheetName);
      return failFile(
        'EXCEL.EMPTY_SHEET',
        `The first sheet${sheetName ? `, "${sheetName}",` : ''} is empty. Only the first sheet of a workbook is read: move the sheet with your table to the first position (header in its first row), or ${SAVE_AS_CSV}.${others.length > 0 ? ` The other sheets are: ${others.map((n) => `"${n}"`).join(', ')}.` : ''}`,
      );
    }
    case 'too-many-cells':
      return failFile(
        'LIMIT.SHEET_TOO_LARGE',
        `The sheet "${sheetName ?? ''}" has ${rows ?? '?'} rows × ${columns ?? '?'} columns = ${((rows ?? 0) * (columns ?? 0)).toLocaleString('en-US')} cells; at most ${MAX_XLSX_SHEET_CELLS.toLocaleString('en-US')} cells (rows × columns) are read from a workbook. ${capitalize(SAVE_AS_CSV)} (CSV files have no cell limit), or split the sheet.`,
      );
    case 'too-large':
      return failFile(
        'LIMIT.WORKBOOK_TOO_LARGE',
        `The workbook unpacks to ${megabytes(unpackedBytes ?? 0)} MB of sheet data; at most ${megabytes(MAX_XLSX_UNPACKED_BYTES)} MB (about ${MAX_XLSX_SHEET_CELLS.toLocaleString('en-US')} cells) are read from a workbook. ${capitalize(SAVE_AS_CSV)}, or remove the sheets you do not need.`,
      );
  }
}

function megabytes(bytes: number): string {
  return String(Math.ceil(bytes / (1024 * 1024)));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Prepared {
  warnings: ProfileWarning[];
  encoding?: TextEncoding;
  delimiter?: string;
  /** The parse options used, detected or given (`given` lists the given ones). */
  csv?: Record<string, JsonValue>;
  /** Class names listed by a count line, for the last column's codes 0…n-1. */
  classNames?: string[];
  hasHeader?: boolean;
  dateFormat?: string | null;
  timestampFormat?: string | null;
}

async function convertStructured(
  engine: SqlEngine,
  path: string,
  format: 'json' | 'jsonl' | 'parquet',
  out: string,
): Promise<Prepared> {
  const relation =
    format === 'parquet'
      ? `read_parquet(${sqlString(path)})`
      : `read_json(${sqlString(path)}, format=${format === 'jsonl' ? "'newline_delimited'" : "'auto'"}, sample_size=${TABULAR_LIMITS.sniffSampleRows})`;
  const code = format === 'parquet' ? 'PARQUET.INVALID' : 'JSON.INVALID';
  try {
    const columns = await engine.describe(`SELECT * FROM ${relation}`);
    checkWidth(columns.length);
    await engine.run(
      `COPY (SELECT * FROM ${relation}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } catch (error) {
    if (error instanceof SqlEngineError && isInputError(error)) {
      failFile(
        code,
        `The file could not be read as ${format === 'parquet' ? 'Parquet' : format === 'jsonl' ? 'JSON Lines' : 'JSON'}: ${firstLine(sqlErrorDetail(error))}`,
      );
    }
    throw error;
  }
  return { warnings: [] };
}

async function convertDelimited(
  engine: SqlEngine,
  context: ProcessorContext,
  format: 'csv' | 'tsv',
  out: string,
  /** Known when we wrote the file ourselves (a workbook's sheet). */
  knownDelimiter?: string,
): Promise<Prepared> {
  const options = knownDelimiter ? undefined : storedCsvOptions(context.version.csvOptions);
  const given = givenLayout(options);
  const givenEncoding = options?.encoding === 'latin-1' ? 'windows-1252' : options?.encoding;
  if (!givenEncoding?.startsWith('utf-16')) failIfBinary(await readHead(context.filePath, 8192));
  const normalized = await normalizeToUtf8(
    context.filePath,
    join(context.tempDir, 'utf8.csv'),
    givenEncoding,
  );
  const warnings: ProfileWarning[] = [];
  if (
    !givenEncoding &&
    (normalized.encoding === 'windows-1252' || normalized.encoding.startsWith('utf-16'))
  ) {
    warnings.push({
      code: 'encoding_converted',
      message: `The file is not UTF-8; it was read as ${normalized.encoding === 'windows-1252' ? 'Latin-1 (Windows-1252)' : normalized.encoding.toUpperCase()} and converted.`,
    });
  }
  const headBytes = await readHead(normalized.path, TABULAR_LIMITS.headBytes);
  const { size } = await stat(normalized.path);
  const complete = size <= headBytes.length;
  const text = new TextDecoder().decode(headBytes).replace(/^\uFEFF/, '');
  if (text.trim() === '')
    failFile(
      'FILE.EMPTY',
      'The file contains only blank lines. Upload a file with a header row and at least one data row.',
    );
  const givenDelimiter =
    format === 'tsv'
      ? '\t'
      : (knownDelimiter ?? (options?.delimiter === 'whitespace' ? WHITESPACE_DELIMITER : options?.delimiter));
  const dialect = detectCsvDialect(text, {
    truncated: !complete,
    ...(givenDelimiter === undefined ? {} : { delimiter: givenDelimiter }),
    ...(options?.quote === undefined ? {} : { quote: options.quote }),
    ...(given.skipLines === undefined ? {} : { skipLines: given.skipLines }),
  });
  checkWidth(dialect.width);

  let readPath = normalized.path;
  if (dialect.whitespace) {
    // Runs of spaces become one tab, line for line, so row numbers stay those of the file.
    readPath = join(context.tempDir, 'whitespace.tsv');
    await whitespaceToTabs(normalized.path, readPath);
  }
  const path = sqlString(readPath);
  const delimiter = dialect.whitespace ? '\t' : dialect.delimiter;
  const escape = options?.escape ?? dialect.quote;
  const base = `delim=${sqlString(delimiter)}, quote=${sqlString(dialect.quote)}, escape=${sqlString(escape)}, skip=${dialect.skipLines}`;
  let sniff;
  try {
    sniff = (
      await engine.all(
        `SELECT HasHeader AS has_header, DateFormat AS date_format, TimestampFormat AS timestamp_format
         FROM sniff_csv(${path}, ${base}, ignore_errors=true, sample_size=${TABULAR_LIMITS.sniffSampleRows})`,
      )
    )[0];
  } catch (error) {
    if (error instanceof SqlEngineError && isInputError(error))
      failFile(
        'CSV.UNREADABLE',
        `The file could not be read as delimited text: ${firstLine(sqlErrorDetail(error))}`,
      );
    throw error;
  }
  const hasHeader = given.header ?? sniff?.has_header !== false;
  const first = dialect.records[0] ?? [];
  if (hasHeader && complete && dialect.records.length === 1) {
    failFile(
      'CSV.HEADER_ONLY',
      `The file has one line (${sampleOf(first.join(', '), 200)}) and no data rows. Add at least one data row below the header.`,
      { row: dialect.skipLines + 1 },
    );
  }
  warnings.push(...dialect.preamble.map((line) => preambleWarning(line, dialect)));
  const names = hasHeader ? undefined : Array.from({ length: dialect.width }, (_, i) => `column${i}`);
  if (hasHeader) warnings.push(...headerWarnings(first));
  else if (given.header === undefined) warnings.push(generatedHeaderWarning(dialect, first));

  const extra = [
    names ? `, names=[${names.map(sqlString).join(', ')}]` : '',
    options?.nullValues
      ? `, nullstr=[${['', ...options.nullValues.filter((v) => v !== '')].map(sqlString).join(', ')}]`
      : '',
    options?.decimal === ',' ? `, decimal_separator=','` : '',
  ].join('');
  const overrides = new Map<string, string>();
  for (let pass = 0; ; pass += 1) {
    const rejects = `rejects_${pass}`;
    const types =
      overrides.size === 0
        ? ''
        : `, types={${[...overrides].map(([n, t]) => `${sqlString(n)}: ${sqlString(t)}`).join(', ')}}`;
    try {
      await engine.run(
        `COPY (SELECT * FROM read_csv(${path}, ${base}, header=${hasHeader}, strict_mode=true, null_padding=false,
                store_rejects=true, rejects_table=${sqlString(rejects)}, rejects_scan=${sqlString(`scan_${pass}`)},
                sample_size=${TABULAR_LIMITS.sniffSampleRows}${extra}${types}))
           TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    } catch (error) {
      if (error instanceof SqlEngineError && isInputError(error))
        failFile(
          'CSV.UNREADABLE',
          `The file could not be read as delimited text: ${firstLine(sqlErrorDetail(error))}`,
        );
      throw error;
    }
    // One issue per row (a row with five extra fields has five rejects), counted by row.
    const structural = await engine.all(
      `SELECT line::DOUBLE AS line, column_name, error_type, csv_line, error_message,
              (SELECT count(DISTINCT line) FROM ${rejects} WHERE error_type <> 'CAST')::DOUBLE AS total
         FROM ${rejects} WHERE error_type <> 'CAST'
         QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx NULLS LAST) = 1
         ORDER BY line LIMIT ${TABULAR_LIMITS.maxListedIssues}`,
    );
    if (structural.length > 0) {
      const total = sqlNumber(structural[0]?.total) ?? structural.length;
      const issues = structural.map((r) => structuralIssue(r, dialect, hasHeader));
      if (total > issues.length) {
        issues.push({
          code: 'CSV.MORE_ERRORS',
          message: `${total - issues.length} more row(s) have problems like the ones above.`,
        });
      }
      throw new FileValidationFailure(issues);
    }
    const conflicts = await engine.all(
      `SELECT column_name, min(line)::DOUBLE AS line, arg_min(csv_line, line) AS csv_line, arg_min(error_message, line) AS error_message
         FROM ${rejects} WHERE error_type = 'CAST' GROUP BY column_name ORDER BY 2`,
    );
    if (conflicts.length === 0) break;
    if (pass + 1 >= TABULAR_LIMITS.maxTypeConflictPasses) {
      throw new FileValidationFailure(
        conflicts.slice(0, TABULAR_LIMITS.maxListedIssues).map((r) => castIssue(r)),
      );
    }
    for (const r of conflicts) {
      const column = sqlText(r.column_name) ?? '';
      overrides.set(column, 'VARCHAR');
      const issue = castIssue(r);
      warnings.push({
        code: 'type_conflict',
        column,
        ...(issue.row ? { value: issue.row } : {}),
        message: `${issue.message} The column is kept as text.`,
      });
    }
  }
  const countLine = dialect.preamble[0]
    ? parseCountLine(dialect.preamble[0].fields, dialect.width)
    : undefined;
  return {
    warnings,
    encoding: normalized.encoding,
    delimiter: dialect.whitespace ? 'whitespace' : dialect.delimiter,
    hasHeader,
    dateFormat: sqlText(sniff?.date_format),
    timestampFormat: sqlText(sniff?.timestamp_format),
    csv: {
      delimiter: dialect.whitespace ? 'whitespace' : dialect.delimiter,
      header: hasHeader,
      skipRows: dialect.skipLines,
      quote: dialect.quote,
      escape,
      encoding: normalized.encoding === 'utf-8-bom' ? 'utf-8' : normalized.encoding,
      nullValues: ['', ...(options?.nullValues ?? []).filter((v) => v !== '')],
      decimal: options?.decimal ?? '.',
      given: options ? Object.keys(options).sort() : [],
    },
    ...(countLine && countLine.classNames.length > 0 ? { classNames: countLine.classNames } : {}),
  };
}

/** Fails a file that is not text, saying what it looks like (never how it was read). */
function failIfBinary(head: Uint8Array): void {
  const looksLike = describeBinary(head);
  if (!looksLike) return;
  failFile(
    'FILE.NOT_TEXT',
    `The file is not a text file: it looks like ${looksLike}. A CSV or TSV file is plain text, one row per line; if you meant to upload a table, export it as "CSV UTF-8" and upload that file${/zip|compressed/.test(looksLike) ? ' (or unpack the archive and upload the CSV inside it)' : ''}.`,
  );
}

async function whitespaceToTabs(inPath: string, outPath: string): Promise<void> {
  const lines = createInterface({ input: createReadStream(inPath), crlfDelay: Infinity });
  const output = createWriteStream(outPath);
  try {
    for await (const line of lines) {
      const trimmed = line.trim();
      if (!output.write(`${trimmed === '' ? '' : trimmed.split(/[ \t]+/).join('\t')}\n`))
        await once(output, 'drain');
    }
  } finally {
    output.end();
    await once(output, 'close');
  }
}

function preambleWarning(line: PreambleLine, dialect: CsvDialect): ProfileWarning {
  const count = parseCountLine(line.fields, dialect.width);
  const shown = `"${sampleOf(line.text, 80)}"`;
  const why = count
    ? `it reads as a count line (${count.rows} rows, ${count.features} feature columns${count.classNames.length > 0 ? `, classes ${count.classNames.join(', ')}` : ''}), not as data or a header`
    : line.fields.length !== dialect.width
      ? `it has ${line.fields.length} field(s) where the rest of the file has ${dialect.width}`
      : 'it is mostly empty fields, unlike the rows below it';
  return {
    code: 'preamble_skipped',
    value: line.line,
    message: `Line ${line.line} (${shown}) was skipped: ${why}. To read it, re-ingest with the csv option skipRows set to 0.`,
  };
}

function generatedHeaderWarning(dialect: CsvDialect, first: readonly string[]): ProfileWarning {
  const line = dialect.skipLines + 1;
  const last = `column${dialect.width - 1}`;
  return {
    code: 'generated_header',
    value: line,
    message: `The file has no header row: its first row (line ${line}, "${sampleOf(first.join(dialect.whitespace ? ' ' : dialect.delimiter), 80)}") is data. The columns were named column0${dialect.width > 1 ? ` … ${last}` : ''}; rename them in the schema, or re-ingest with the csv option header set to true if that row is a header.`,
  };
}

function headerWarnings(header: readonly string[]): ProfileWarning[] {
  const warnings: ProfileWarning[] = [];
  const seen = new Map<string, number>();
  const duplicates = new Set<string>();
  header.forEach((raw, index) => {
    const name = raw.trim();
    if (name === '') {
      warnings.push({
        code: 'empty_header',
        value: index + 1,
        message: `Column ${index + 1} has no name; it was named "column${index}".`,
      });
      return;
    }
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if ((seen.get(name) ?? 0) > 1) duplicates.add(name);
  });
  for (const name of duplicates) {
    warnings.push({
      code: 'duplicate_header',
      column: name,
      message: `The header names "${name}" ${seen.get(name)} times; the repeats were renamed "${name}_1", "${name}_2", … Rename them in the file to choose better names.`,
    });
  }
  return warnings;
}

const COUNTS = /Expected Number of Columns: (\d+) Found: (\d+)/;

function structuralIssue(
  row: Record<string, unknown>,
  dialect: CsvDialect,
  hasHeader: boolean,
): VersionValidationIssue {
  const line = sqlNumber(row.line as number) ?? undefined;
  const type = String(row.error_type);
  const sample = sampleOf(String(row.csv_line ?? ''));
  const counts = COUNTS.exec(String(row.error_message ?? ''));
  const expected = counts?.[1];
  // The engine stops counting at the first extra field: count the row's fields ourselves.
  const fields = fieldCount(String(row.csv_line ?? ''), dialect);
  const found = fields > 0 ? String(fields) : counts?.[2];
  const delimiter = dialect.whitespace
    ? 'spaces'
    : dialect.delimiter === '\t'
      ? 'tab'
      : `"${dialect.delimiter}"`;
  const reference = hasHeader ? 'the header has' : 'the first row has';
  const at = line === undefined ? {} : { row: line };
  const column = typeof row.column_name === 'string' ? { column: row.column_name } : {};
  switch (type) {
    case 'MISSING COLUMNS':
      return {
        code: 'CSV.RAGGED_ROW',
        message: `Row ${line} has ${found ?? 'fewer'} field(s) but ${reference} ${expected ?? 'more'}: add the missing values (an empty field between two ${delimiter} counts) so every row has ${expected ?? 'the same number of'} fields.`,
        ...at,
        ...column,
        sample,
      };
    case 'TOO MANY COLUMNS':
      return {
        code: 'CSV.RAGGED_ROW',
        message: `Row ${line} has ${found ?? 'more'} fields but ${reference} ${expected ?? 'fewer'}: quote values that contain ${delimiter} or remove the extra fields.`,
        ...at,
        sample,
      };
    case 'UNQUOTED VALUE':
      return {
        code: 'CSV.BAD_QUOTING',
        message: `Row ${line} has a quote inside an unquoted value: wrap the whole value in double quotes and double every quote inside it ("").`,
        ...at,
        ...column,
        sample,
      };
    case 'LINE SIZE OVER MAXIMUM':
      return {
        code: 'CSV.LINE_TOO_LONG',
        message: `Row ${line} is too long; an opening quote is probably never closed.`,
        ...at,
        sample,
      };
    case 'INVALID UNICODE':
    case 'INVALID ENCODING':
      return {
        code: 'CSV.INVALID_TEXT',
        message: `Row ${line} contains bytes that are not valid text; save the file as UTF-8.`,
        ...at,
        sample,
      };
    default:
      return {
        code: 'CSV.MALFORMED_ROW',
        message: `Row ${line} could not be read: ${String(row.error_message ?? type)}`,
        ...at,
        ...column,
        sample,
      };
  }
}

function fieldCount(line: string, dialect: CsvDialect): number {
  const split = dialect.whitespace
    ? splitWhitespace(line, 1)
    : splitRecords(line, dialect.delimiter, dialect.quote, 1);
  return split.records[0]?.length ?? 0;
}

function castIssue(row: Record<string, unknown>): VersionValidationIssue {
  const line = sqlNumber(row.line as number) ?? undefined;
  const column = sqlText(row.column_name as string) ?? '';
  const value = /Could not convert string "([^"]*)"/.exec(String(row.error_message ?? ''))?.[1];
  const expected = /to '([A-Z]+)'/.exec(String(row.error_message ?? ''))?.[1];
  return {
    code: 'CSV.TYPE_CONFLICT',
    message: `Column "${column}" looks like ${expected ?? 'a typed column'} in the first rows, but row ${line} has ${value === undefined ? 'a value that does not fit' : `"${sampleOf(value, 60)}"`}.`,
    ...(line === undefined ? {} : { row: line }),
    column,
    sample: sampleOf(String(value ?? row.csv_line ?? '')),
  };
}

function checkWidth(columns: number): void {
  if (columns > TABULAR_LIMITS.maxColumns) {
    failFile(
      'LIMIT.TOO_MANY_COLUMNS',
      `The file has ${columns} columns; at most ${TABULAR_LIMITS.maxColumns} are accepted. Split it into several files (keeping an id column in each) or transpose it.`,
    );
  }
}

function isInputError(error: SqlEngineError): boolean {
  return ['Invalid Input', 'Conversion', 'Parser', 'Binder', 'IO', 'Invalid'].includes(error.kind);
}

function firstLine(message: string): string {
  return sampleOf(message.split('\n')[0] ?? message, 300);
}
