import type { ImageCodec } from '../../../shared/ports/image-codec.port';
import type { MediaTranscoder } from '../../../shared/ports/media-transcoder.port';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError } from '../../../shared/kernel/app-error';
import { openDuckDbEngine } from '../../../shared/adapters/duckdb/duckdb-sql-engine';
import type {
  NodeContext,
  NodeInputs,
  NodeResult,
  ResolvedDatasetVersion,
  JobDataset,
} from '../../../shared/domain/nodes/node-definition';
import { MemoryLearningRecords } from '../../support/memory-learning-records';
import { MemoryJobResults, MemoryRegisteredModels } from '../../support/memory-prediction-records';
import type { JobResults } from '../../../shared/domain/nodes/job-results.port';
import type { RegisteredModels } from '../../../shared/domain/nodes/registered-models.port';
import { nodeRegistry } from '../../../shared/domain/nodes/registry';
import type { SqlEngine } from '../../../shared/ports/sql-engine.port';
import type { BlobBody, BlobInfo, BlobStore, ListPage } from '../../../shared/ports/blob-store.port';
import { objectKeys } from '../../../shared/storage/object-keys';

/** A session that records every statement it is given before passing it on. */
export function recordingSession(inner: SqlEngine): SqlEngine & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    run: (sql, params) => {
      statements.push(sql);
      return inner.run(sql, params);
    },
    all: (sql) => {
      statements.push(sql);
      return inner.all(sql);
    },
    query: (sql, params) => {
      statements.push(sql);
      return inner.query(sql, params);
    },
    describe: (sql) => inner.describe(sql),
    columns: (sql, params) => {
      statements.push(sql);
      return inner.columns(sql, params);
    },
    loadTable: (name, columns) => inner.loadTable(name, columns),
    interrupt: () => inner.interrupt(),
    close: () => undefined,
  };
}

/**
 * A real DuckDB session and an object store on a temp directory (same contract as the S3 one for
 * what nodes use), for running node implementations without the rest of the platform.
 */
export class DirectoryBlobStore implements BlobStore {
  readonly bucket = 'test-bucket';
  constructor(readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: BlobBody): Promise<BlobInfo> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const bytes =
      typeof body === 'string' || body instanceof Uint8Array
        ? body
        : Buffer.concat(await Readable.from(body).toArray());
    await writeFile(file, bytes);
    return this.info(key);
  }

  async get(key: string): Promise<{ info: BlobInfo; body: Readable }> {
    const info = await this.info(key);
    return { info, body: createReadStream(this.file(key)) };
  }

  async getBytes(key: string): Promise<Uint8Array> {
    await this.info(key);
    return readFile(this.file(key));
  }

  async download(key: string, filePath: string): Promise<BlobInfo> {
    const info = await this.info(key);
    await copyFile(this.file(key), filePath);
    return info;
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      return await this.info(key);
    } catch {
      return undefined;
    }
  }

  async list(prefix: string): Promise<ListPage> {
    const items: BlobInfo[] = [];
    const walk = async (dir: string, parts: string[]): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), [...parts, entry.name]);
        else {
          const key = [...parts, entry.name].join('/');
          if (key.startsWith(prefix)) items.push(await this.info(key));
        }
      }
    };
    await walk(this.root, []);
    return { items: items.sort((a, b) => a.key.localeCompare(b.key)) };
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const { items } = await this.list(prefix);
    for (const item of items) await this.delete(item.key);
    return items.length;
  }

  async copy(fromKey: string, toKey: string): Promise<BlobInfo> {
    await this.info(fromKey);
    await mkdir(path.dirname(this.file(toKey)), { recursive: true });
    await copyFile(this.file(fromKey), this.file(toKey));
    return this.info(toKey);
  }

  async presignPost(): Promise<never> {
    throw new Error('presigned URLs are not offered by the directory store');
  }

  async presignGet(): Promise<never> {
    throw new Error('presigned URLs are not offered by the directory store');
  }

  private async info(key: string): Promise<BlobInfo> {
    try {
      const s = await stat(this.file(key));
      return { key, size: s.size, lastModified: s.mtime };
    } catch (error) {
      throw new NotFoundError('Object', key, { cause: error });
    }
  }
}

export const USER_ID = '11111111-1111-4111-8111-111111111111';
export const JOB_ID = '22222222-2222-4222-8222-222222222222';

export interface NodeHarness {
  blobs: DirectoryBlobStore;
  tables: SqlEngine;
  dir: string;
  progress: { fraction: number; step: string }[];
  learning: MemoryLearningRecords;
  /** The models `learning` registered, as a prediction node loads them. */
  models: MemoryRegisteredModels;
  results: MemoryJobResults;
  /** Writes a Parquet object from a SELECT (DuckDB syntax) and returns its key. */
  table(key: string, select: string): Promise<string>;
  /** Runs a node of the registry as a host would. */
  run(
    nodeType: string,
    inputs: NodeInputs,
    params: unknown,
    options?: {
      nodeId?: string;
      signal?: AbortSignal;
      dataset?: ResolvedDatasetVersion;
      /** The job's dataset (target column, problem type) as training nodes read it. */
      jobDataset?: JobDataset;
      /** Stands in for the harness's session (e.g. to watch the statements a node runs). */
      tables?: SqlEngine;
      /** Stand in for the harness's models and results (e.g. the database's). */
      models?: RegisteredModels;
      results?: JobResults;
      /** The job's owner (default USER_ID). */
      userId?: string;
      /** The image codec image nodes decode with. */
      images?: ImageCodec;
      /** The transcoder video nodes read clips with. */
      media?: MediaTranscoder;
    },
  ): Promise<NodeResult>;
  /** Reads a Parquet object back as rows. */
  rows(key: string, orderBy?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function createNodeHarness(): Promise<NodeHarness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pw-nodes-'));
  const blobs = new DirectoryBlobStore(path.join(dir, 'objects'));
  const tables = await openDuckDbEngine({
    threads: 2,
    memoryLimitMb: 256,
    allowedDirectories: [dir],
  });
  const progress: { fraction: number; step: string }[] = [];
  let runs = 0;
  const learning = new MemoryLearningRecords();
  const models = new MemoryRegisteredModels(blobs, learning.models);
  const results = new MemoryJobResults();
  return {
    blobs,
    tables,
    dir,
    progress,
    learning,
    models,
    results,
    async table(key, select) {
      const file = path.join(dir, `fixture-${++runs}.parquet`);
      await tables.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
      await blobs.put(key, await readFile(file));
      return key;
    },
    async run(nodeType, inputs, params, options = {}) {
      const node = nodeRegistry.get(nodeType);
      const nodeId = options.nodeId ?? `n${++runs}`;
      const workDir = await mkdtemp(path.join(dir, 'work-'));
      const userId = options.userId ?? USER_ID;
      const context: NodeContext = {
        jobId: JOB_ID,
        userId,
        nodeId,
        nodeType,
        attempt: 0,
        blobs,
        tables: options.tables ?? tables,
        workDir,
        signal: options.signal ?? new AbortController().signal,
        logger: { debug: () => undefined, info: () => undefined, warn: () => undefined },
        outputKey: (port, extension) => objectKeys.jobNodeOutput(userId, JOB_ID, nodeId, port, extension),
        resolveDataset: async () => {
          if (!options.dataset) throw new Error('no dataset in this test');
          return options.dataset;
        },
        progress: async (fraction, step) => {
          progress.push({ fraction, step });
        },
        jobDataset: async () => options.jobDataset ?? null,
        learning,
        models: options.models ?? models,
        results: options.results ?? results,
        ...(options.images ? { images: options.images } : {}),
        ...(options.media ? { media: options.media } : {}),
      };
      try {
        return await node.run(context, inputs, node.params.parse(params));
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    },
    async rows(key, orderBy) {
      const file = path.join(dir, `read-${++runs}.parquet`);
      await blobs.download(key, file);
      return tables.query(`SELECT * FROM read_parquet('${file}')${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
    },
    async close() {
      tables.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
