import { open } from 'node:fs/promises';
import type { SegyByteSource } from './segy-reader';

export function bytesSegySource(bytes: Uint8Array): SegyByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** A file read at random positions; closed when `work` settles. */
export async function withSegyFile<T>(
  path: string,
  work: (source: SegyByteSource) => Promise<T>,
): Promise<T> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await work({
      size,
      async read(offset, length) {
        // Not zero-filled first: every byte returned is read from the file (chunks are ~16 MiB).
        const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        let done = 0;
        while (done < buffer.length) {
          const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buffer.subarray(0, done);
      },
    });
  } finally {
    await handle.close();
  }
}
