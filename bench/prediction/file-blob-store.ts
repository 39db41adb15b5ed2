import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../../shared/kernel/app-error';
import type { BlobBody, BlobInfo, BlobStore, PutOptions } from '../../shared/ports/blob-store.port';

/**
 * Objects as files under a directory, for measuring a node on its own: its reads and writes cost
 * a local copy, not an S3 transfer, and no object server shares the node's process or its memory.
 * Only what a prediction node uses is here (put, get, download, head); the rest refuse.
 */
export class FileBlobStore implements BlobStore {
  readonly bucket = 'bench';

  constructor(readonly root: string) {}

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<BlobInfo> {
    const file = this.#file(key);
    await mkdir(dirname(file), { recursive: true });
    const source = typeof body === 'string' || body instanceof Uint8Array ? Readable.from([body]) : body;
    await pipeline(source, createWriteStream(file));
    return {
      key,
      size: (await stat(file)).size,
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
  }

  async get(key: string): Promise<{ info: BlobInfo; body: Readable }> {
    const info = await this.#info(key);
    return { info, body: createReadStream(this.#file(key)) };
  }

  async getBytes(key: string): Promise<Uint8Array> {
    await this.#info(key);
    return readFile(this.#file(key));
  }

  async download(key: string, filePath: string): Promise<BlobInfo> {
    const info = await this.#info(key);
    await copyFile(this.#file(key), filePath);
    return info;
  }

  head(key: string): Promise<BlobInfo | undefined> {
    return this.#info(key).catch(() => undefined);
  }

  readonly list = refuse('list');
  readonly delete = refuse('delete');
  readonly deletePrefix = refuse('deletePrefix');
  readonly copy = refuse('copy');
  readonly presignPost = refuse('presignPost');
  readonly presignGet = refuse('presignGet');

  #file(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async #info(key: string): Promise<BlobInfo> {
    try {
      return { key, size: (await stat(this.#file(key))).size };
    } catch {
      throw new NotFoundError('Object', key);
    }
  }
}

function refuse(operation: string): () => Promise<never> {
  return () => Promise.reject(new Error(`the benchmark's file store does not ${operation}`));
}
