import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../../../ports/blob-store.port';

/**
 * Streams an object to a local file, hashing the bytes as they pass (one read, no second pass
 * over a large file). Returns the lower-case hex SHA-256 and the byte count.
 */
export async function downloadWithHash(
  blobs: BlobStore,
  key: string,
  filePath: string,
): Promise<{ sha256: string; sizeBytes: number; contentType: string | undefined }> {
  const { info, body } = await blobs.get(key);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(body, tap, createWriteStream(filePath));
  return { sha256: hash.digest('hex'), sizeBytes, contentType: info.contentType };
}
