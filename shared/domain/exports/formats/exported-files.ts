import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { WrittenFile } from './written-layout';

export interface ExportedFile {
  /** Path below `outDir`, with `/` separators (`data/train-00000-of-00001.parquet`). */
  relativePath: string;
  bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Rows (examples) the file holds, for data files. */
  rows?: number;
  contentType: string;
}

/** Size and SHA-256 of a written file, read back from disk in a stream. */
export async function describeWrittenFile(outDir: string, file: WrittenFile): Promise<ExportedFile> {
  const absolute = path.join(outDir, ...file.relativePath.split('/'));
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(absolute)) hash.update(chunk as Buffer);
  const { size } = await stat(absolute);
  return {
    relativePath: file.relativePath,
    bytes: size,
    sha256: hash.digest('hex'),
    ...(file.rows === undefined ? {} : { rows: file.rows }),
    contentType: file.contentType,
  };
}
