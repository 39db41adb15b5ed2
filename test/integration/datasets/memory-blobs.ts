import { Readable } from 'node:stream';
import { NotFoundError } from '../../../shared/errors/app-error';
import type { BlobInfo, BlobStore } from '../../../shared/ports/blob-store.port';

/** An object store in memory: enough for dispatch, refresh and purge (copy, head, put, delete, prefix delete). */
export class MemoryBlobs implements BlobStore {
  readonly bucket = 'test-bucket';
  readonly objects = new Map<string, Uint8Array>();
  async put(key: string, body: Uint8Array | string | Readable): Promise<BlobInfo> {
    if (body instanceof Readable) throw new Error('streams are not used here');
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.objects.set(key, bytes);
    return { key, size: bytes.byteLength };
  }
  async head(key: string): Promise<BlobInfo | undefined> {
    const bytes = this.objects.get(key);
    return bytes ? { key, size: bytes.byteLength } : undefined;
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    const bytes = this.objects.get(fromKey);
    if (!bytes) throw new NotFoundError('Object', fromKey);
    this.objects.set(toKey, bytes);
    return { key: toKey, size: bytes.byteLength };
  }
  async getBytes(key: string): Promise<Uint8Array> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new NotFoundError('Object', key);
    return bytes;
  }
  get(): never {
    throw new Error('not used by dispatch');
  }
  download(): never {
    throw new Error('not used by dispatch');
  }
  list(): never {
    throw new Error('not used by dispatch');
  }
  async deletePrefix(prefix: string): Promise<number> {
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix));
    for (const key of keys) this.objects.delete(key);
    return keys.length;
  }
  presignPost(): never {
    throw new Error('not used by dispatch');
  }
  presignGet(): never {
    throw new Error('not used by dispatch');
  }
}
