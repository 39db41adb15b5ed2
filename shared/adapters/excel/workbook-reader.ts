import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { localName, XmlTokenizer, type XmlHandlers } from './xml-tokens';
import { openZipEntry, ZipFormatError, type InflateBudget, type ZipEntry } from './zip-directory';

/**
 * Reads the first sheet of an .xlsx workbook (Office Open XML spreadsheet) part by part, each part
 * streamed out of the archive through the shared inflate budget into the XML tokenizer: the
 * workbook (sheet names, date system), its relationships (where the sheets, shared strings and
 * styles are), the shared strings, the styles (which cell formats are dates) and the sheet's cells.
 * Values are typed as the spreadsheet stored them: numbers, text, booleans, and numbers formatted
 * as dates become Dates (UTC, from the 1900 or 1904 date system); error cells are empty.
 */
export type Cell = string | number | boolean | Date | null;
export type Row = Cell[];

export interface WorkbookSheet {
  sheetNames: string[];
  /** The first sheet's name and rows (undefined when the workbook lists none). */
  sheet: string | undefined;
  rows: Row[];
}

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
/** Number formats Excel builds in that show dates or times (ECMA-376 18.8.30, and East Asian ones). */
const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54,
  55, 56, 57, 58,
]);
const DATE_TOKENS = new Set(['s', 'ss', 'm', 'mm', 'mmm', 'mmmm', 'mmmmm', 'h', 'hh', 'am', 'pm', 'a', 'p']);
const DAY_MS = 86_400_000;
/** Days from the 1900 system's day 0 (with its fictitious 29 Feb 1900) to 1970-01-01. */
const DAYS_1900_TO_UNIX = 25_569;
const DAYS_1904_TO_1900 = 1_462;

export async function readWorkbookSheets(
  path: string,
  entries: ZipEntry[],
  budget: InflateBudget,
  options: { maxValues: number },
): Promise<WorkbookSheet> {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const parse = async (name: string, handlers: XmlHandlers): Promise<boolean> => {
    const entry = byName.get(name);
    if (!entry) return false;
    await tokenize(await openZipEntry(path, entry, budget), handlers);
    return true;
  };

  const sheets: { name: string; relId: string }[] = [];
  let date1904 = false;
  const workbookFound = await parse(WORKBOOK, {
    open(name, attributes) {
      const tag = localName(name);
      if (tag === 'sheet') {
        const relId = Object.entries(attributes).find(([key]) => localName(key) === 'id')?.[1] ?? '';
        sheets.push({ name: attributes['name'] ?? '', relId });
      } else if (tag === 'workbookPr') {
        date1904 = attributes['date1904'] === '1' || attributes['date1904'] === 'true';
      }
    },
    close() {},
    text() {},
  });
  if (!workbookFound) throw new ZipFormatError(`the archive has no ${WORKBOOK}`);

  const targets = new Map<string, { type: string; path: string }>();
  await parse(WORKBOOK_RELS, {
    open(name, attributes) {
      if (localName(name) !== 'Relationship') return;
      const target = attributes['Target'] ?? '';
      const resolved = target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join('xl', target));
      targets.set(attributes['Id'] ?? '', { type: attributes['Type'] ?? '', path: resolved });
    },
    close() {},
    text() {},
  });
  const partOfType = (suffix: string, fallback: string) =>
    [...targets.values()].find((t) => t.type.endsWith(suffix))?.path ?? fallback;

  const first = sheets[0];
  if (!first) return { sheetNames: [], sheet: undefined, rows: [] };

  const strings = await readSharedStrings(parse, partOfType('/sharedStrings', 'xl/sharedStrings.xml'));
  const dateStyles = await readDateStyles(parse, partOfType('/styles', 'xl/styles.xml'));
  const sheetPath = targets.get(first.relId)?.path ?? 'xl/worksheets/sheet1.xml';
  const rows: Row[] = [];
  const found = await parse(sheetPath, sheetHandlers(rows, strings, dateStyles, date1904, options.maxValues));
  if (!found) throw new ZipFormatError(`the sheet "${first.name}" is missing from the archive`);
  return { sheetNames: sheets.map((s) => s.name), sheet: first.name, rows };
}

type PartParser = (name: string, handlers: XmlHandlers) => Promise<boolean>;

async function readSharedStrings(parse: PartParser, path: string): Promise<string[]> {
  const strings: string[] = [];
  let current = '';
  let inText = false;
  // Phonetic runs (<rPh>) are reading aids, not the cell's text.
  let inPhonetic = false;
  await parse(path, {
    open(name) {
      const tag = localName(name);
      if (tag === 'si') current = '';
      else if (tag === 't') inText = true;
      else if (tag === 'rPh') inPhonetic = true;
    },
    close(name) {
      const tag = localName(name);
      if (tag === 'si') strings.push(current);
      else if (tag === 't') inText = false;
      else if (tag === 'rPh') inPhonetic = false;
    },
    text(text) {
      if (inText && !inPhonetic) current += text;
    },
  });
  return strings;
}

async function readDateStyles(parse: PartParser, path: string): Promise<boolean[]> {
  const formats = new Map<number, string>();
  const styles: boolean[] = [];
  let inCellXfs = false;
  await parse(path, {
    open(name, attributes) {
      const tag = localName(name);
      if (tag === 'numFmt') formats.set(Number(attributes['numFmtId']), attributes['formatCode'] ?? '');
      else if (tag === 'cellXfs') inCellXfs = true;
      else if (tag === 'xf' && inCellXfs) {
        const id = Number(attributes['numFmtId'] ?? 0);
        const code = formats.get(id);
        styles.push(code === undefined ? BUILT_IN_DATE_FORMATS.has(id) : isDateFormatCode(code));
      }
    },
    close(name) {
      if (localName(name) === 'cellXfs') inCellXfs = false;
    },
    text() {},
  });
  return styles;
}

/** Whether a number format code shows a date or time: every token of a section is a date part. */
export function isDateFormatCode(code: string): boolean {
  const sections = code.toLowerCase().replace(/;@$/, '').replace(/\\./g, ' ').split(';');
  return sections.some((section) => {
    const cleaned = section
      .replace(/"[^"]*"/g, ' ')
      .replace(/(\[?[smhd]{1,2}\]?)[.,]00?0?/g, '$1')
      .replace(/\[([smhd]{1,2})\]/g, '$1')
      .replace(/\[[^\]]*\]/g, '');
    const tokens = cleaned.split(/[^a-z0#?%]+/).filter((t) => t !== '');
    return (
      tokens.length > 0 &&
      tokens.every(
        (t) => DATE_TOKENS.has(t) || /^d{1,4}$/.test(t) || /^y{1,4}$/.test(t) || /^e{1,2}$/.test(t),
      )
    );
  });
}

function sheetHandlers(
  rows: Row[],
  strings: readonly string[],
  dateStyles: readonly boolean[],
  date1904: boolean,
  maxValues: number,
): XmlHandlers {
  let row: Row | undefined;
  let rowIndex = -1;
  let column = 0;
  let cell: { column: number; type: string; style: number } | undefined;
  let value = '';
  let inValue = false;
  let inInlineText = false;
  let values = 0;
  let full = false;

  const valueOf = (type: string, style: number, text: string): Cell => {
    switch (type) {
      case 's': {
        const s = strings[Number(text)];
        return s === undefined ? null : s;
      }
      case 'str':
      case 'inlineStr':
        return text;
      case 'b':
        return text.trim() === '1' || text.trim().toLowerCase() === 'true';
      case 'e':
        return null;
      case 'd': {
        const date = new Date(text.trim().endsWith('Z') ? text.trim() : `${text.trim()}Z`);
        return Number.isNaN(date.getTime()) ? text : date;
      }
      default: {
        if (text.trim() === '') return null;
        const number = Number(text);
        if (!Number.isFinite(number)) return text;
        if (dateStyles[style]) {
          const days = date1904 ? number + DAYS_1904_TO_1900 : number;
          return new Date(Math.round((days - DAYS_1900_TO_UNIX) * DAY_MS));
        }
        return number;
      }
    }
  };

  return {
    open(name, attributes) {
      if (full) return;
      const tag = localName(name);
      if (tag === 'row') {
        const r = Number(attributes['r']);
        rowIndex = Number.isInteger(r) && r > rowIndex ? r - 1 : rowIndex + 1;
        row = [];
        column = 0;
      } else if (tag === 'c' && row) {
        const ref = attributes['r'];
        const letters = ref ? /^[A-Za-z]+/.exec(ref)?.[0] : undefined;
        cell = {
          column: letters ? columnIndex(letters) : column,
          type: attributes['t'] ?? 'n',
          style: Number(attributes['s'] ?? 0),
        };
        value = '';
      } else if (tag === 'v' && cell) {
        inValue = true;
      } else if (tag === 't' && cell?.type === 'inlineStr') {
        inInlineText = true;
      }
    },
    close(name) {
      if (full) return;
      const tag = localName(name);
      if (tag === 'v') inValue = false;
      else if (tag === 't') inInlineText = false;
      else if (tag === 'c' && cell && row) {
        const v = valueOf(cell.type, cell.style, value);
        if (v !== null && v !== '') {
          while (row.length < cell.column) row.push(null);
          row[cell.column] = v;
          values += 1;
        }
        column = cell.column + 1;
        cell = undefined;
      } else if (tag === 'row' && row) {
        while (rows.length < rowIndex) rows.push([]);
        rows[rowIndex] = row;
        row = undefined;
        // Over the cell limit whatever the sheet's shape: stop reading, the caller refuses it.
        if (values > maxValues) {
          full = true;
          throw new StopReading();
        }
      }
    },
    text(text) {
      if (inValue || inInlineText) value += text;
    },
  };
}

function columnIndex(letters: string): number {
  let index = 0;
  for (const letter of letters.toUpperCase()) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

/** Thrown by a handler that has read enough of a part. */
class StopReading extends Error {
  override name = 'StopReading';
}

async function tokenize(stream: Readable, handlers: XmlHandlers): Promise<void> {
  const tokenizer = new XmlTokenizer(handlers);
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream) tokenizer.write(decoder.write(chunk as Buffer));
    tokenizer.write(decoder.end());
    tokenizer.end();
  } catch (error) {
    if (!(error instanceof StopReading)) throw error;
  } finally {
    stream.destroy();
  }
}
