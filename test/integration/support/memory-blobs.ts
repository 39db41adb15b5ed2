import { Readable } from 'node:stream';
import { NotFoundError } from '../../../shared/kernel/app-error';
import type { BlobBody, BlobInfo, BlobStore, PutOptions } from '../../../shared/ports/blob-store.port';

/** An object store in memory: enough for dispatch, refresh and purge (copy, head, put, delete, prefix delete). */
export class MemoryBlobs implements BlobStore {
  readonly bucket = 'test-bucket';
  readonly objects = new Map<string, Uint8Array>();
  /** Bytes received so far by each streamed put still in progress (a stream that fails stores nothing). */
  readonly receiving = new Map<string, number>();
  async put(key: string, body: BlobBody, _options?: PutOptions): Promise<BlobInfo> {
    let bytes: Uint8Array;
    if (body instanceof Readable) {
      const chunks: Buffer[] = [];
      this.receiving.set(key, 0);
      try {
        for await (const chunk of body) {
          const part = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
          chunks.push(part);
          this.receiving.set(key, (this.receiving.get(key) ?? 0) + part.byteLength);
        }
      } finally {
        this.receiving.delete(key);
      }
      bytes = Buffer.concat(chunks);
    } else {
      bytes = typeof body === 'string' ? Buffer.from(body) : body;
    }
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
  async get(key: string): Promise<{ info: BlobInfo; body: Readable }> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new NotFoundError('Object', key);
    return { info: { key, size: bytes.byteLength }, body: Readable.from([Buffer.from(bytes)]) };
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
