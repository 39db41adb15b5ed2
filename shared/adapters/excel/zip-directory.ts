import { open } from 'node:fs/promises';

/**
 * Lists a zip archive's entries from its central directory (the index at the end of the file),
 * without unpacking anything. The xlsx reader unpacks every XML part into memory, so their
 * declared sizes are checked first; a file that is not a readable zip fails here with a reason.
 */
export interface ZipEntry {
  name: string;
  /** As declared by the archive; what unpacking the entry would produce. */
  uncompressedSize: number;
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
      let uncompressedSize = directory.readUInt32LE(at + 24);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const nameEnd = at + 46 + nameLength;
      const extraEnd = nameEnd + extraLength;
      if (extraEnd + commentLength > directory.length) throw new ZipFormatError('damaged central directory');
      const name = directory.toString('utf8', at + 46, nameEnd);
      if (uncompressedSize === U32_MAX) {
        // Zip64: the real size is the first value of the zip64 extra field.
        uncompressedSize = zip64Size(directory.subarray(nameEnd, extraEnd));
      }
      entries.push({ name, uncompressedSize });
      at = extraEnd + commentLength;
    }
    return entries;
  } finally {
    await file.close();
  }
}

function zip64Size(extra: Buffer): number {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA && length >= 8 && at + 12 <= extra.length)
      return Number(extra.readBigUInt64LE(at + 4));
    at += 4 + length;
  }
  throw new ZipFormatError('zip64 entry without its size');
}
