import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

/**
 * Reads the text files of a zip archive (one document per file) without unpacking anything to
 * disk, within decompression limits: the archive's directory is read first, every entry is
 * inflated with an output cap, and the total unpacked size and the entry count are bounded, so
 * a zip bomb stops at the limit instead of filling memory.
 */
export interface ZipTextLimits {
  /** Most entries listed in the directory. */
  maxEntries: number;
  /** Largest unpacked entry. */
  maxEntryBytes: number;
  /** Largest total of unpacked entries read. */
  maxTotalBytes: number;
  /** Largest unpacked/packed ratio of one entry (stored entries are 1). */
  maxRatio: number;
}

export const ZIP_TEXT_LIMITS: ZipTextLimits = {
  maxEntries: 200_000,
  maxEntryBytes: 16 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
};

export interface ZipTextEntry {
  /** The path inside the archive, with `/` separators. */
  path: string;
  bytes: Buffer;
}

export interface SkippedZipEntry {
  path: string;
  reason: string;
}

export class ZipReadError extends Error {
  override name = 'ZipReadError';
}

/** The archive's total is over `maxTotalBytes`, or it lists more than `maxEntries` entries. */
export class ZipLimitError extends Error {
  override name = 'ZipLimitError';
}

interface DirectoryEntry {
  path: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_RECORD_SIZE = 22;
const MAX_TAIL = END_RECORD_SIZE + 0xffff;

async function readAt(file: FileHandle, size: number, position: number, length: number): Promise<Buffer> {
  if (position < 0 || length < 0 || position + length > size)
    throw new ZipReadError('the archive points outside the file (it is damaged or cut short)');
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new ZipReadError('the archive ended early');
  return buffer;
}

async function readDirectory(
  file: FileHandle,
  size: number,
  limits: ZipTextLimits,
): Promise<DirectoryEntry[]> {
  if (size < END_RECORD_SIZE) throw new ZipReadError('the file is too short to be a zip archive');
  const tailLength = Math.min(size, MAX_TAIL);
  const tail = await readAt(file, size, size - tailLength, tailLength);
  let end = -1;
  for (let i = tail.length - END_RECORD_SIZE; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipReadError('no end of central directory record (not a zip, or cut short)');
  const count = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff)
    throw new ZipReadError(
      'the archive is in the zip64 format (over 4 GB or 65,535 files), which is not read here',
    );
  if (count > limits.maxEntries)
    throw new ZipLimitError(`the archive lists ${count} entries; at most ${limits.maxEntries} are read`);
  const directory = await readAt(file, size, directoryOffset, directorySize);
  const entries: DirectoryEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n += 1) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== DIRECTORY_ENTRY)
      throw new ZipReadError('the central directory is damaged');
    const flags = directory.readUInt16LE(at + 8);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const rawName = directory.subarray(at + 46, at + 46 + nameLength);
    // Bit 11: the name is UTF-8; otherwise code page 437, read here as Latin-1 (same for ASCII).
    const path = (flags & 0x800 ? rawName.toString('utf8') : rawName.toString('latin1')).replace(/\\/g, '/');
    entries.push({
      path,
      flags,
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      uncompressedSize: directory.readUInt32LE(at + 24),
      localOffset: directory.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The entries of the archive that `accept` takes (by path), read and inflated, in archive order;
 * entries it refuses, encrypted ones and those over a limit are listed as skipped with the reason.
 */
export async function readZipTextEntries(
  path: string,
  accept: (entryPath: string) => string | undefined,
  limits: ZipTextLimits = ZIP_TEXT_LIMITS,
): Promise<{ entries: ZipTextEntry[]; skipped: SkippedZipEntry[] }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const directory = await readDirectory(file, size, limits);
    const entries: ZipTextEntry[] = [];
    const skipped: SkippedZipEntry[] = [];
    let total = 0;
    for (const entry of directory) {
      if (entry.path.endsWith('/')) continue;
      const refusal = accept(entry.path);
      if (refusal !== undefined) {
        skipped.push({ path: entry.path, reason: refusal });
        continue;
      }
      if (entry.flags & 0x1) {
        skipped.push({ path: entry.path, reason: 'the file is encrypted (password-protected)' });
        continue;
      }
      if (entry.method !== 0 && entry.method !== 8) {
        skipped.push({
          path: entry.path,
          reason: `compression method ${entry.method} is not read here (only stored and deflate)`,
        });
        continue;
      }
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        skipped.push({
          path: entry.path,
          reason: `it unpacks to ${entry.uncompressedSize} bytes; at most ${limits.maxEntryBytes} are read per file`,
        });
        continue;
      }
      const local = await readAt(file, size, entry.localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL_HEADER)
        throw new ZipReadError(`the entry "${entry.path}" is damaged`);
      const dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const packed = await readAt(file, size, dataStart, entry.compressedSize);
      let bytes: Buffer;
      if (entry.method === 0) {
        bytes = packed;
      } else {
        // The cap holds whatever the directory declared: the inflater stops at it.
        const cap = Math.min(limits.maxEntryBytes, Math.max(1, packed.length) * limits.maxRatio);
        try {
          bytes = inflateRawSync(packed, { maxOutputLength: cap + 1 });
        } catch (error) {
          const tooLarge = error instanceof RangeError || /maxOutputLength|buffer/i.test(String(error));
          skipped.push({
            path: entry.path,
            reason: tooLarge
              ? `it unpacks to more than ${cap} bytes (over the per-file or compression-ratio limit)`
              : 'its compressed data is damaged',
          });
          continue;
        }
        if (bytes.length > cap) {
          skipped.push({
            path: entry.path,
            reason: `it unpacks to more than ${cap} bytes (over the per-file or compression-ratio limit)`,
          });
          continue;
        }
      }
      total += bytes.length;
      if (total > limits.maxTotalBytes)
        throw new ZipLimitError(`the archive unpacks to more than ${limits.maxTotalBytes} bytes of text`);
      entries.push({ path: entry.path, bytes });
    }
    return { entries, skipped };
  } finally {
    await file.close();
  }
}
