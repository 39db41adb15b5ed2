/**
 * Delimiter and quote detection for delimited text, done here rather than by the SQL engine's
 * sniffer because the sniffer gives up (or picks a wrong delimiter) on files with ragged rows,
 * which are exactly the files a person needs a precise error for. Pure: works on the decoded
 * start of the file.
 */
export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

export interface CsvDialect {
  delimiter: string;
  quote: string;
  /** The first records split with this dialect (the last, possibly cut, record excluded). */
  records: string[][];
  /** Share of the sampled records that have the most common field count. */
  consistency: number;
}

/** Splits text into records of fields, honouring quotes (doubled quote = literal), CRLF or LF. */
export function splitRecords(
  text: string,
  delimiter: string,
  quote = '"',
  maxRecords = 200,
): { records: string[][]; complete: boolean } {
  const records: string[][] = [];
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let i = 0;
  while (i < text.length && records.length < maxRecords) {
    const ch = text[i];
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
      records.push(fields);
      fields = [];
      field = '';
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
    } else {
      field += ch;
    }
    i += 1;
  }
  const complete = i >= text.length && !inQuotes;
  if (complete && (field !== '' || fields.length > 0)) {
    fields.push(field);
    records.push(fields);
  }
  return { records: records.filter((r) => !(r.length === 1 && r[0] === '')), complete };
}

/**
 * Picks the delimiter that splits the sampled records most consistently into more than one field
 * (ties: more fields). `truncated` says the text is only the start of the file, so its last record
 * may be cut and is ignored.
 */
export function detectCsvDialect(
  text: string,
  options: { truncated?: boolean; delimiter?: string } = {},
): CsvDialect {
  const candidates = options.delimiter ? [options.delimiter] : DELIMITER_CANDIDATES;
  let best: CsvDialect | undefined;
  let bestScore = -1;
  for (const delimiter of candidates) {
    const { records: all, complete } = splitRecords(text, delimiter);
    const records = options.truncated && !complete && all.length > 1 ? all.slice(0, -1) : all;
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
    const consistency = records.length === 0 ? 0 : frequency / records.length;
    // A delimiter that never splits scores 0; otherwise consistency first, then width.
    const score = mode > 1 ? consistency * 1000 + Math.min(mode, 999) : 0;
    if (score > bestScore) {
      bestScore = score;
      best = { delimiter, quote: '"', records, consistency };
    }
  }
  return best ?? { delimiter: ',', quote: '"', records: [], consistency: 0 };
}
