/**
 * Unpacking an uploaded archive (zip) into a scratch directory, within limits that hold whatever
 * the archive's own directory claims: the bytes are counted as they are inflated, and unpacking
 * stops at the limit. shared/adapters/archive implements it.
 */
export interface UnpackLimits {
  /** Entries (files and folders) the archive may list. */
  maxEntries: number;
  /** Bytes all entries together may unpack to. */
  maxUnpackedBytes: number;
  /** Bytes one entry may unpack to; a larger one is left out as rejected. */
  maxEntryBytes: number;
}

export interface UnpackedFile {
  /** The entry's name in the archive ("cats/001.jpg"), as text; never used as a local path. */
  name: string;
  /** Where its bytes were written. */
  path: string;
  bytes: number;
}

export interface RejectedEntry {
  name: string;
  reason: 'encrypted' | 'unsupported-compression' | 'damaged' | 'too-large';
  message: string;
}

export interface UnpackResult {
  files: UnpackedFile[];
  rejected: RejectedEntry[];
  /** Folder entries and operating-system leftovers (__MACOSX/, .DS_Store) skipped. */
  ignored: number;
  unpackedBytes: number;
}

/** The archive as a whole cannot be read, or unpacks to more than allowed. */
export class ArchiveUnreadableError extends Error {
  override name = 'ArchiveUnreadableError';
  constructor(
    readonly reason: 'not-an-archive' | 'damaged' | 'too-many-entries' | 'too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type UnpackArchive = (
  archivePath: string,
  destination: string,
  limits: UnpackLimits,
) => Promise<UnpackResult>;
