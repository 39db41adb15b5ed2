import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

/**
 * Lists a zip archive's entries from its central directory (the index at the end of the file),
 * without unpacking anything, and unpacks one entry as a stream through a shared byte budget
 * (`openZipEntry`): the declared sizes are only a first check, since an archive can lie about
 * them; the budget counts the bytes really inflated and stops the stream at the limit. A file
 * that is not a readable zip fails here with a reason.
 */
export interface ZipEntry {
  name: string;
  /** As declared by the archive; what unpacking the entry would produce. */
  uncompressedSize: number;
  /** As declared by the archive: the bytes of packed data after the entry's local header. */
  compressedSize: number;
  /** 0 stored, 8 deflated; anything else is refused when the entry is opened. */
  method: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

/** The unpacked bytes an archive may produce in all, whatever its directory declares. */
export class InflateBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/** Unpacking went past the budget: the archive unpacks to more than `limit` bytes. */
export class ZipLimitError extends Error {
  override name = 'ZipLimitError';
  constructor(readonly limit: number) {
    super(`the archive unpacks to more than ${limit} bytes`);
  }
}

export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const ZIP64_EXTRA = 0x0001;
const END_RECORD_SIZE = 22;
/** The end record may be followed by a comment of up to 65,535 bytes. */
const MAX_TAIL = END_RECORD_SIZE + 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size < END_RECORD_SIZE) throw new ZipFormatError('too short to be a zip archive');
    const read = async (position: number, length: number): Promise<Buffer> => {
      if (position < 0 || length < 0 || position + length > size)
        throw new ZipFormatError('the directory points outside the file');
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new ZipFormatError('the file ended early');
      return buffer;
    };

    const tailLength = Math.min(size, MAX_TAIL);
    const tailStart = size - tailLength;
    const tail = await read(tailStart, tailLength);
    let end = -1;
    for (let i = tail.length - END_RECORD_SIZE; i >= 0; i -= 1) {
      if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
        end = i;
        break;
      }
    }
    if (end < 0) throw new ZipFormatError('no end of central directory record (not a zip, or cut short)');

    let count = tail.readUInt16LE(end + 10);
    let directorySize = tail.readUInt32LE(end + 12);
    let directoryOffset = tail.readUInt32LE(end + 16);
    if (count === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
      const locatorAt = tailStart + end - 20;
      const locator = await read(locatorAt, 20);
      if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new ZipFormatError('zip64 locator missing');
      const record = await read(Number(locator.readBigUInt64LE(8)), 56);
      if (record.readUInt32LE(0) !== ZIP64_END_OF_DIRECTORY)
        throw new ZipFormatError('zip64 end of central directory record missing');
      count = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }

    const directory = await read(directoryOffset, directorySize);
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let n = 0; n < count; n += 1) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== DIRECTORY_ENTRY)
        throw new ZipFormatError('damaged central directory');
      const method = directory.readUInt16LE(at + 10);
      let compressedSize = directory.readUInt32LE(at + 20);
      let uncompressedSize = directory.readUInt32LE(at + 24);
      let localHeaderOffset = directory.readUInt32LE(at + 42);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const nameEnd = at + 46 + nameLength;
      const extraEnd = nameEnd + extraLength;
      if (extraEnd + commentLength > directory.length) throw new ZipFormatError('damaged central directory');
      const name = directory.toString('utf8', at + 46, nameEnd);
      if (uncompressedSize === U32_MAX || compressedSize === U32_MAX || localHeaderOffset === U32_MAX) {
        // Zip64: the real values are in the zip64 extra field, in this order, for those that overflowed.
        const values = zip64Values(directory.subarray(nameEnd, extraEnd));
        if (uncompressedSize === U32_MAX) uncompressedSize = values.shift() ?? zip64Missing();
        if (compressedSize === U32_MAX) compressedSize = values.shift() ?? zip64Missing();
        if (localHeaderOffset === U32_MAX) localHeaderOffset = values.shift() ?? zip64Missing();
      }
      entries.push({ name, uncompressedSize, compressedSize, method, localHeaderOffset });
      at = extraEnd + commentLength;
    }
    return entries;
  } finally {
    await file.close();
  }
}

function zip64Values(extra: Buffer): number[] {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA && at + 4 + length <= extra.length) {
      const values: number[] = [];
      for (let v = at + 4; v + 8 <= at + 4 + length; v += 8) values.push(Number(extra.readBigUInt64LE(v)));
      return values;
    }
    at += 4 + length;
  }
  return [];
}

function zip64Missing(): never {
  throw new ZipFormatError('zip64 entry without its sizes');
}

const LOCAL_HEADER = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;

/**
 * The entry's unpacked bytes as a stream. Every byte inflated is counted against `budget`; once it
 * is spent the stream fails with ZipLimitError, whatever the directory declared, so a bomb costs
 * at most the budget in time and nothing in memory (the caller consumes the stream as it comes).
 */
export async function openZipEntry(path: string, entry: ZipEntry, budget: InflateBudget): Promise<Readable> {
  if (entry.method !== 0 && entry.method !== 8)
    throw new ZipFormatError(`"${entry.name}" is packed with method ${entry.method}, which is not read`);
  const file = await open(path, 'r');
  let dataStart: number;
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(LOCAL_HEADER_SIZE);
    const { bytesRead } = await file.read(header, 0, LOCAL_HEADER_SIZE, entry.localHeaderOffset);
    if (bytesRead !== LOCAL_HEADER_SIZE || header.readUInt32LE(0) !== LOCAL_HEADER)
      throw new ZipFormatError(`no local header for "${entry.name}"`);
    dataStart =
      entry.localHeaderOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataStart + entry.compressedSize > size) throw new ZipFormatError('an entry points outside the file');
  } finally {
    await file.close();
  }
  const packed =
    entry.compressedSize === 0
      ? Readable.from([])
      : createReadStream(path, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      budget.used += chunk.length;
      if (budget.used > budget.limit) done(new ZipLimitError(budget.limit));
      else done(null, chunk);
    },
  });
  const fail = (error: Error) => counter.destroy(error);
  if (entry.method === 0) {
    packed.on('error', fail);
    return packed.pipe(counter);
  }
  const inflate = createInflateRaw();
  packed.on('error', fail);
  inflate.on('error', (error) =>
    fail(new ZipFormatError(`"${entry.name}" does not inflate: ${error.message}`)),
  );
  counter.on('close', () => {
    packed.destroy();
    inflate.destroy();
  });
  return packed.pipe(inflate).pipe(counter);
}
