import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import {
  ArchiveUnreadableError,
  type RejectedEntry,
  type UnpackArchive,
  type UnpackedFile,
} from '../../ports/archive-reader.port';

/**
 * Unpacks a zip archive entry by entry (stored or deflated) into numbered files, never into paths
 * built from entry names. Sizes in the archive's directory are not trusted: a counting stream
 * after the inflater stops an entry at its limit and the whole archive at the total limit, so a
 * zip bomb costs at most the limit in disk and time. Each entry's CRC-32 is checked.
 */
const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const U16 = 0xffff;
const U32 = 0xffffffff;

interface DirectoryEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  declaredSize: number;
  localHeaderOffset: number;
}

class LimitExceeded extends Error {
  constructor(readonly scope: 'entry' | 'archive') {
    super(`unpacking exceeded the ${scope} limit`);
  }
}

/** Counts bytes through and fails past the entry's or the archive's allowance. */
class CountingStream extends Transform {
  bytes = 0;
  crc = 0;
  constructor(
    private readonly entryLimit: number,
    private readonly archiveLeft: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.entryLimit) return done(new LimitExceeded('entry'));
    if (this.bytes > this.archiveLeft) return done(new LimitExceeded('archive'));
    this.crc = crc32(chunk, this.crc);
    done(null, chunk);
  }
}

export const unpackZip: UnpackArchive = async (archivePath, destination, limits) => {
  await mkdir(destination, { recursive: true });
  const file = await open(archivePath, 'r');
  let entries: DirectoryEntry[];
  try {
    entries = await readDirectory(file, limits.maxEntries);
  } finally {
    await file.close();
  }
  const files: UnpackedFile[] = [];
  const rejected: RejectedEntry[] = [];
  let ignored = 0;
  let unpackedBytes = 0;
  const handle = await open(archivePath, 'r');
  try {
    for (const [index, entry] of entries.entries()) {
      if (entry.name.endsWith('/') || isLeftover(entry.name)) {
        ignored += 1;
        continue;
      }
      if (entry.flags & 0x1) {
        rejected.push({ name: entry.name, reason: 'encrypted', message: 'The entry is encrypted.' });
        continue;
      }
      if (entry.method !== 0 && entry.method !== 8) {
        rejected.push({
          name: entry.name,
          reason: 'unsupported-compression',
          message: `The entry uses compression method ${entry.method}; only stored and deflated entries are read.`,
        });
        continue;
      }
      const start = await dataStart(handle, entry);
      const target = join(destination, `${index}`);
      const counter = new CountingStream(limits.maxEntryBytes, limits.maxUnpackedBytes - unpackedBytes);
      const source =
        entry.compressedSize === 0
          ? Readable.from([])
          : createReadStream(archivePath, { start, end: start + entry.compressedSize - 1 });
      try {
        if (entry.method === 8)
          await pipeline(source, createInflateRaw(), counter, createWriteStream(target));
        else await pipeline(source, counter, createWriteStream(target));
      } catch (error) {
        if (error instanceof LimitExceeded && error.scope === 'archive')
          throw new ArchiveUnreadableError(
            'too-large',
            `The archive unpacks to more than ${limits.maxUnpackedBytes.toLocaleString('en-US')} bytes.`,
          );
        rejected.push(
          error instanceof LimitExceeded
            ? {
                name: entry.name,
                reason: 'too-large',
                message: `The entry unpacks to more than ${limits.maxEntryBytes.toLocaleString('en-US')} bytes.`,
              }
            : { name: entry.name, reason: 'damaged', message: 'The entry’s compressed data is damaged.' },
        );
        unpackedBytes += counter.bytes;
        continue;
      }
      unpackedBytes += counter.bytes;
      if (counter.crc >>> 0 !== entry.crc >>> 0) {
        rejected.push({
          name: entry.name,
          reason: 'damaged',
          message: 'The entry’s checksum (CRC-32) does not match its contents.',
        });
        continue;
      }
      files.push({ name: entry.name, path: target, bytes: counter.bytes });
    }
  } finally {
    await handle.close();
  }
  return { files, rejected, ignored, unpackedBytes };
};

function isLeftover(name: string): boolean {
  const base = name.split('/').pop() ?? '';
  return (
    name.startsWith('__MACOSX/') || base.startsWith('._') || base === '.DS_Store' || base === 'Thumbs.db'
  );
}

async function readAt(file: FileHandle, size: number, position: number, length: number): Promise<Buffer> {
  if (position < 0 || length < 0 || position + length > size)
    throw new ArchiveUnreadableError('damaged', 'The archive’s directory points outside the file.');
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new ArchiveUnreadableError('damaged', 'The archive ends early.');
  return buffer;
}

async function dataStart(file: FileHandle, entry: DirectoryEntry): Promise<number> {
  const { size } = await file.stat();
  const header = await readAt(file, size, entry.localHeaderOffset, 30);
  if (header.readUInt32LE(0) !== LOCAL_HEADER)
    throw new ArchiveUnreadableError('damaged', `The archive’s entry "${entry.name}" has no local header.`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > size)
    throw new ArchiveUnreadableError('damaged', `The archive’s entry "${entry.name}" runs past its end.`);
  return start;
}

async function readDirectory(file: FileHandle, maxEntries: number): Promise<DirectoryEntry[]> {
  const { size } = await file.stat();
  if (size < 22)
    throw new ArchiveUnreadableError('not-an-archive', 'The file is too short to be a zip archive.');
  const tailLength = Math.min(size, 22 + U16);
  const tailStart = size - tailLength;
  const tail = await readAt(file, size, tailStart, tailLength);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i -= 1)
    if (tail.readUInt32LE(i) === END_OF_DIRECTORY) {
      end = i;
      break;
    }
  if (end < 0)
    throw new ArchiveUnreadableError(
      'not-an-archive',
      'The file is not a zip archive (no end of its directory).',
    );
  let count = tail.readUInt16LE(end + 10);
  let directorySize = tail.readUInt32LE(end + 12);
  let directoryOffset = tail.readUInt32LE(end + 16);
  if (count === U16 || directorySize === U32 || directoryOffset === U32) {
    const locator = await readAt(file, size, tailStart + end - 20, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR)
      throw new ArchiveUnreadableError('damaged', 'The zip64 locator is missing.');
    const record = await readAt(file, size, Number(locator.readBigUInt64LE(8)), 56);
    if (record.readUInt32LE(0) !== ZIP64_END)
      throw new ArchiveUnreadableError('damaged', 'The zip64 directory record is missing.');
    count = Number(record.readBigUInt64LE(32));
    directorySize = Number(record.readBigUInt64LE(40));
    directoryOffset = Number(record.readBigUInt64LE(48));
  }
  if (count > maxEntries)
    throw new ArchiveUnreadableError(
      'too-many-entries',
      `The archive lists ${count.toLocaleString('en-US')} entries; at most ${maxEntries.toLocaleString('en-US')} are read.`,
    );
  const directory = await readAt(file, size, directoryOffset, directorySize);
  const entries: DirectoryEntry[] = [];
  let at = 0;
  for (let n = 0; n < count; n += 1) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== DIRECTORY_ENTRY)
      throw new ArchiveUnreadableError('damaged', 'The archive’s directory is damaged.');
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const nameEnd = at + 46 + nameLength;
    if (nameEnd + extraLength + commentLength > directory.length)
      throw new ArchiveUnreadableError('damaged', 'The archive’s directory is damaged.');
    const entry: DirectoryEntry = {
      name: directory.toString('utf8', at + 46, nameEnd),
      flags: directory.readUInt16LE(at + 8),
      method: directory.readUInt16LE(at + 10),
      crc: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      declaredSize: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    };
    applyZip64(entry, directory.subarray(nameEnd, nameEnd + extraLength));
    entries.push(entry);
    at = nameEnd + extraLength + commentLength;
  }
  return entries;
}

/** Zip64 extra field: the 64-bit values, in this order, of the fields set to 0xFFFFFFFF. */
function applyZip64(entry: DirectoryEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = () => {
        if (field + 8 > at + 4 + length)
          throw new ArchiveUnreadableError('damaged', 'A zip64 field is cut short.');
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (entry.declaredSize === U32) entry.declaredSize = next();
      if (entry.compressedSize === U32) entry.compressedSize = next();
      if (entry.localHeaderOffset === U32) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + length;
  }
}
