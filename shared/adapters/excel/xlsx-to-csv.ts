import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  XlsxUnreadableError,
  type XlsxToCsv,
  type XlsxToCsvRequest,
} from '../../domain/datasets/ingestion/workers/xlsx-to-csv.port';
import { csvField, hasTimeOfDay, isoDate, plainDecimal, snapToSecond } from './csv-field';
import { readWorkbookSheets, type Cell, type Row } from './workbook-reader';
import { XmlSyntaxError } from './xml-tokens';
import {
  InflateBudget,
  readZipDirectory,
  ZipFormatError,
  ZipLimitError,
  type ZipEntry,
} from './zip-directory';

/** OLE2 compound file: the container of .xls workbooks and of encrypted .xlsx files. */
const COMPOUND_FILE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
/** Stream names (UTF-16LE in the compound file's directory) present only in an encrypted OOXML package. */
const ENCRYPTION_STREAMS = ['EncryptedPackage', 'EncryptionInfo'].map((name) => Buffer.from(name, 'utf16le'));
const WORKBOOK_PART = 'xl/workbook.xml';
/** Flush the CSV to disk in pieces of about this many characters. */
const WRITE_CHUNK = 1 << 20;

/**
 * The XlsxToCsv port. The file is checked cheaply first: an OLE2 container is a legacy .xls or an
 * encrypted workbook, a zip's directory must name a workbook and declare a bounded unpacked size.
 * The parts are then streamed out of the archive through one byte budget (`maxUnpackedBytes`,
 * counted on the bytes really inflated, so a directory that lies about sizes gains nothing) into
 * an iterative XML tokenizer. The first sheet is written as CSV; leading empty rows are skipped so
 * the header is the first line.
 */
export const convertXlsxToCsv: XlsxToCsv = async (request) => {
  if (await isCompoundFile(request.inputPath)) {
    throw (await containsAny(request.inputPath, ENCRYPTION_STREAMS))
      ? new XlsxUnreadableError('password-protected', 'an encrypted OOXML package in an OLE2 container')
      : new XlsxUnreadableError('legacy-xls', 'an OLE2 compound file (Excel 97-2003 binary format)');
  }
  const entries = await checkArchive(request);
  const first = await readFirstSheet(request, entries);
  const sheetNames = first.sheetNames;
  const facts = { sheetName: first.sheet, sheetNames };

  const start = first.data.findIndex((row) => row.some((cell) => !isEmpty(cell)));
  if (start < 0) throw new XlsxUnreadableError('empty-sheet', `sheet "${first.sheet}" has no values`, facts);
  const rows = first.data.slice(start);
  const columns = rows.reduce((max, row) => Math.max(max, row.length), 0);
  if (rows.length * columns > request.maxCells) {
    throw new XlsxUnreadableError(
      'too-many-cells',
      `sheet "${first.sheet}" has ${rows.length} rows and ${columns} columns`,
      { ...facts, rows: rows.length, columns },
    );
  }
  await writeCsv(request.outputPath, rows, columns);
  return {
    sheetNames,
    sheetName: first.sheet,
    rowCount: rows.length,
    columnCount: columns,
    firstRow: start + 1,
  };
};

async function isCompoundFile(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(COMPOUND_FILE_MAGIC.length);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(COMPOUND_FILE_MAGIC);
  } finally {
    await file.close();
  }
}

/** Streams the file once looking for any of the byte patterns (chunks overlap by the longest). */
async function containsAny(path: string, patterns: readonly Buffer[]): Promise<boolean> {
  const overlap = Math.max(...patterns.map((p) => p.length)) - 1;
  let carry = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const window = Buffer.concat([carry, chunk as Buffer]);
    if (patterns.some((p) => window.includes(p))) return true;
    carry = window.subarray(Math.max(0, window.length - overlap));
  }
  return false;
}

async function checkArchive(request: XlsxToCsvRequest): Promise<ZipEntry[]> {
  let entries;
  try {
    entries = await readZipDirectory(request.inputPath);
  } catch (error) {
    if (error instanceof ZipFormatError)
      throw new XlsxUnreadableError(
        'corrupt',
        `not a readable zip archive: ${error.message}`,
        {},
        { cause: error },
      );
    throw error;
  }
  if (!entries.some((e) => e.name === WORKBOOK_PART))
    throw new XlsxUnreadableError('not-a-workbook', `the zip archive has no ${WORKBOOK_PART}`);
  // The declared sizes of the XML parts, checked before anything is inflated; the streaming
  // reader's inflate budget then holds every part to what it really unpacks to.
  const unpackedBytes = entries
    .filter((e) => e.name.endsWith('.xml') || e.name.endsWith('.xml.rels'))
    .reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (unpackedBytes > request.maxUnpackedBytes)
    throw new XlsxUnreadableError('too-large', `the XML parts unpack to ${unpackedBytes} bytes`, {
      unpackedBytes,
    });
  return entries;
}

async function readFirstSheet(request: XlsxToCsvRequest, entries: ZipEntry[]) {
  const budget = new InflateBudget(request.maxUnpackedBytes);
  try {
    const workbook = await readWorkbookSheets(request.inputPath, entries, budget, {
      // A sheet with more values than cells allowed is over the limit whatever its shape.
      maxValues: request.maxCells,
    });
    if (workbook.sheetNames.length === 0 || workbook.sheet === undefined)
      throw new XlsxUnreadableError('not-a-workbook', 'the workbook lists no sheets');
    return { sheet: workbook.sheet, sheetNames: workbook.sheetNames, data: workbook.rows };
  } catch (error) {
    if (error instanceof ZipLimitError)
      throw new XlsxUnreadableError(
        'too-large',
        `the XML parts unpack to more than ${error.limit} bytes`,
        { unpackedBytes: budget.used },
        { cause: error },
      );
    if (error instanceof ZipFormatError)
      throw new XlsxUnreadableError('corrupt', error.message, {}, { cause: error });
    if (error instanceof XmlSyntaxError)
      throw new XlsxUnreadableError('corrupt', `malformed XML: ${error.message}`, {}, { cause: error });
    throw error;
  }
}

function isEmpty(cell: Cell | undefined): boolean {
  return cell === null || cell === undefined || cell === '';
}

async function writeCsv(path: string, rows: readonly Row[], columns: number): Promise<void> {
  // A column with any time of day writes every date in it with a time, so it reads as one type.
  const withTime = new Array<boolean>(columns).fill(false);
  for (const row of rows) {
    row.forEach((cell, c) => {
      if (cell instanceof Date && !withTime[c] && hasTimeOfDay(snapToSecond(cell))) withTime[c] = true;
    });
  }
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const row of rows) {
      const fields: string[] = [];
      for (let c = 0; c < columns; c += 1) fields.push(cellText(row[c], withTime[c] ?? false));
      chunk += `${fields.join(',')}\r\n`;
      if (chunk.length >= WRITE_CHUNK) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path, { encoding: 'utf8' }));
}

function cellText(cell: unknown, withTime: boolean): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') return csvField(cell);
  if (typeof cell === 'number') return plainDecimal(cell);
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? '' : isoDate(snapToSecond(cell), withTime);
  return csvField(String(cell));
}
