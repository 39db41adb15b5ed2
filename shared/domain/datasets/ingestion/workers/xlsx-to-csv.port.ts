/**
 * Reads one sheet of an Excel (.xlsx) workbook and writes it as a UTF-8 CSV file (RFC 4180
 * quoting, CRLF line ends; dates as ISO 8601, numbers as plain decimals, booleans as true/false,
 * empty cells empty), so the tabular path then reads it like any uploaded CSV.
 * `shared/adapters/excel` implements it.
 */
export interface XlsxToCsvRequest {
  inputPath: string;
  outputPath: string;
  /** The sheet is refused when its rows × columns exceed this. */
  maxCells: number;
  /** The workbook is refused, before reading, when its XML parts unpack to more bytes than this. */
  maxUnpackedBytes: number;
}

export interface XlsxToCsvResult {
  /** Every sheet of the workbook, in workbook order. */
  sheetNames: string[];
  /** The sheet that was written (the first one). */
  sheetName: string;
  /** Rows written, the header row included. */
  rowCount: number;
  columnCount: number;
  /** The sheet's row number (1-based) of the first row written: leading empty rows are skipped. */
  firstRow: number;
}

export type XlsxToCsv = (request: XlsxToCsvRequest) => Promise<XlsxToCsvResult>;

/**
 * Why a workbook could not be converted. The processor turns each reason into a message the
 * uploader can act on; the adapter only says what it found.
 */
export type XlsxUnreadableReason =
  | 'legacy-xls'
  | 'password-protected'
  | 'corrupt'
  | 'not-a-workbook'
  | 'empty-sheet'
  | 'too-many-cells'
  | 'too-large';

export interface XlsxUnreadableFacts {
  sheetName?: string;
  sheetNames?: string[];
  rows?: number;
  columns?: number;
  unpackedBytes?: number;
}

export class XlsxUnreadableError extends Error {
  override name = 'XlsxUnreadableError';
  constructor(
    readonly reason: XlsxUnreadableReason,
    message: string,
    readonly facts: XlsxUnreadableFacts = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
