/**
 * Delimiter, quote and layout detection for delimited text, done here rather than by the SQL
 * engine's sniffer because the sniffer gives up (or picks a wrong delimiter) on files with ragged
 * rows or a preamble, which are exactly the files a person needs a precise answer for. Pure: works
 * on the decoded start of the file.
 *
 * Layout rules (users see their effects):
 * - the delimiter is the one that splits the sampled records most consistently into more than one
 *   field; when none of `,` `;` tab `|` does, runs of spaces are tried (whitespace-delimited files);
 * - leading lines that do not look like the body are a preamble and are skipped: a line whose field
 *   count differs from the body's (scikit-learn's `569,30,malignant,benign`), a line padded with
 *   more trailing empty fields than any body row has (`506,13,,,,,`), or a count line
 *   (`150,4,setosa,versicolor,virginica`: row count, feature count, class names) whose row count is
 *   the number of rows after it. At most
 *   MAX_PREAMBLE_LINES lines are skipped this way; a longer mismatch is left for the ragged-row check.
 */
export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;
/** The delimiter value that stands for "one or more spaces or tabs". */
export const WHITESPACE_DELIMITER = ' ';
export const MAX_PREAMBLE_LINES = 10;
/** Share of records that must agree on the field count for runs of spaces to count as a delimiter. */
const WHITESPACE_MIN_CONSISTENCY = 0.9;

export interface CsvDialect {
  delimiter: string;
  quote: string;
  /** Runs of spaces or tabs separate fields (`delimiter` is then WHITESPACE_DELIMITER). */
  whitespace: boolean;
  /** The sampled records after the skipped lines (the last, possibly cut, record excluded). */
  records: string[][];
  /** Share of the sampled records (after the skipped lines) that have the most common field count. */
  consistency: number;
  /** The most common field count. */
  width: number;
  /** Physical lines to skip before the header or the first data row. */
  skipLines: number;
  /** Leading lines skipped as a preamble (1-based line numbers), empty when given or none. */
  preamble: PreambleLine[];
}

export interface PreambleLine {
  line: number;
  text: string;
  fields: string[];
}

export interface DialectOptions {
  /** The text is only the start of the file: its last record may be cut and is ignored. */
  truncated?: boolean;
  delimiter?: string;
  quote?: string;
  /** Lines to skip, as given by the user: no preamble detection then. */
  skipLines?: number;
}

interface Split {
  records: string[][];
  /** 1-based line on which each record starts. */
  lines: number[];
  complete: boolean;
}

/** Splits text into records of fields, honouring quotes (doubled quote = literal), CRLF or LF. */
export function splitRecords(text: string, delimiter: string, quote = '"', maxRecords = 200): Split {
  const records: string[][] = [];
  const lines: number[] = [];
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let line = 1;
  let start = 1;
  let i = 0;
  const push = () => {
    if (!(fields.length === 1 && fields[0] === '')) {
      records.push(fields);
      lines.push(start);
    }
    fields = [];
  };
  while (i < text.length && records.length < maxRecords) {
    const ch = text[i];
    if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line += 1;
    if (inQuotes) {
      if (ch === quote) {
        if (text[i + 1] === quote) {
          field += quote;
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        field += ch;
      }
      i += 1;
      continue;
    }
    if (ch === quote && field === '') {
      inQuotes = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      fields.push(field);
      field = '';
      push();
      if (ch === '\r' && text[i + 1] === '\n') {
        i += 1;
        line += 1;
      }
      start = line;
    } else {
      field += ch;
    }
    i += 1;
  }
  const complete = i >= text.length && !inQuotes;
  if (complete && (field !== '' || fields.length > 0)) {
    fields.push(field);
    push();
  }
  return { records, lines, complete };
}

/** Splits lines on runs of spaces and tabs (no quoting: whitespace-delimited files rarely quote). */
export function splitWhitespace(text: string, maxRecords = 200): Split {
  const records: string[][] = [];
  const lines: number[] = [];
  const all = text.split(/\r\n|\n|\r/);
  const complete = true;
  for (let index = 0; index < all.length && records.length < maxRecords; index += 1) {
    const trimmed = (all[index] ?? '').trim();
    if (trimmed === '') continue;
    records.push(trimmed.split(/[ \t]+/));
    lines.push(index + 1);
  }
  return { records, lines, complete };
}

export function detectCsvDialect(text: string, options: DialectOptions = {}): CsvDialect {
  const quote = options.quote ?? '"';
  const given = options.delimiter;
  if (given === WHITESPACE_DELIMITER) return layout(text, WHITESPACE_DELIMITER, quote, options);
  const candidates = given ? [given] : DELIMITER_CANDIDATES;
  let best: CsvDialect | undefined;
  let bestScore = -1;
  for (const delimiter of candidates) {
    const dialect = layout(text, delimiter, quote, options);
    // A delimiter that never splits scores 0; otherwise consistency first, then width.
    const score =
      dialect.width > 1 ? dialect.consistency * 1000 + Math.min(dialect.width, 999) - dialect.skipLines : 0;
    if (score > bestScore) {
      bestScore = score;
      best = dialect;
    }
  }
  const chosen = best ?? layout(text, ',', quote, options);
  if (given || (chosen.width > 1 && chosen.consistency >= WHITESPACE_MIN_CONSISTENCY)) return chosen;
  const spaced = layout(text, WHITESPACE_DELIMITER, quote, options);
  return spaced.width > 1 && spaced.consistency >= WHITESPACE_MIN_CONSISTENCY ? spaced : chosen;
}

function layout(text: string, delimiter: string, quote: string, options: DialectOptions): CsvDialect {
  const whitespace = delimiter === WHITESPACE_DELIMITER;
  const split = whitespace ? splitWhitespace(text) : splitRecords(text, delimiter, quote);
  const cut = options.truncated && !split.complete && split.records.length > 1;
  const records = cut ? split.records.slice(0, -1) : split.records;
  const lines = split.lines.slice(0, records.length);

  let skipped: number;
  let skipLines: number;
  if (options.skipLines !== undefined) {
    skipLines = options.skipLines;
    skipped = lines.filter((line) => line <= skipLines).length;
  } else {
    skipped = preambleLength(records, { complete: !options.truncated && split.complete });
    skipLines = skipped === 0 ? 0 : (lines[skipped] ?? (lines[skipped - 1] ?? 0) + 1) - 1;
  }
  const body = records.slice(skipped);
  const { mode, frequency } = modeWidth(body);
  return {
    delimiter,
    quote,
    whitespace,
    records: body,
    consistency: body.length === 0 ? 0 : frequency / body.length,
    width: mode,
    skipLines,
    preamble:
      options.skipLines !== undefined
        ? []
        : records.slice(0, skipped).map((fields, i) => ({
            line: lines[i] ?? i + 1,
            fields,
            text: fields.join(whitespace ? ' ' : delimiter),
          })),
  };
}

function modeWidth(records: readonly string[][]): { mode: number; frequency: number } {
  const counts = new Map<number, number>();
  for (const r of records) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let mode = 1;
  let frequency = 0;
  for (const [width, n] of counts) {
    if (n > frequency || (n === frequency && width > mode)) {
      mode = width;
      frequency = n;
    }
  }
  return { mode, frequency };
}

/** How many leading records are a preamble (see the module comment). */
export function preambleLength(records: readonly string[][], sample: { complete: boolean }): number {
  // The body's width is judged without the lines that could be a preamble.
  const { mode, frequency } = modeWidth(
    records.slice(Math.min(MAX_PREAMBLE_LINES, Math.floor(records.length / 2))),
  );
  if (mode <= 1 || frequency < 2) return 0;
  let skipped = 0;
  while (skipped < MAX_PREAMBLE_LINES && skipped < records.length - 1) {
    const record = records[skipped] ?? [];
    const rest = records.slice(skipped + 1);
    if (record.length === mode && !paddedBeyondBody(record, rest) && !countsRest(record, rest, sample)) break;
    skipped += 1;
  }
  if (skipped === MAX_PREAMBLE_LINES) return 0;
  // What follows must look like the body: the next record has the body's width.
  return (records[skipped]?.length ?? 0) === mode ? skipped : 0;
}

function trailingEmpty(record: readonly string[]): number {
  let n = 0;
  for (let i = record.length - 1; i >= 0 && (record[i] ?? '').trim() === ''; i -= 1) n += 1;
  return n;
}

/** More than half its fields are trailing empties, and no later sampled record is padded as much. */
function paddedBeyondBody(record: readonly string[], rest: readonly string[][]): boolean {
  const padding = trailingEmpty(record);
  if (padding * 2 <= record.length) return false;
  return rest.every((r) => trailingEmpty(r) < padding);
}

/** A count line whose row count is that of the records after it (at least, when only a sample was read). */
function countsRest(
  record: readonly string[],
  rest: readonly string[][],
  sample: { complete: boolean },
): boolean {
  const width = rest[0]?.length ?? 0;
  const count = parseCountLine(record, width);
  if (!count || count.classNames.length === 0) return false;
  return sample.complete ? count.rows === rest.length : count.rows >= rest.length;
}

/**
 * scikit-learn's count line: `n_samples,n_features[,class names…]`, for a body of n_features + 1
 * columns (the last one the class index). Returns undefined for any other line.
 */
export function parseCountLine(
  fields: readonly string[],
  width: number,
): { rows: number; features: number; classNames: string[] } | undefined {
  const [rows, features, ...rest] = fields.map((f) => f.trim());
  if (!rows || !features || !/^\d+$/.test(rows) || !/^\d+$/.test(features)) return undefined;
  if (Number(features) + 1 !== width) return undefined;
  const classNames = rest.filter((name) => name !== '');
  // Class names are words, not numbers (a numeric row would be data).
  if (classNames.some((name) => /^[-+]?[\d.]+$/.test(name))) return undefined;
  return { rows: Number(rows), features: Number(features), classNames };
}
