import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackZip } from '../../../../../../shared/adapters/archive/unpack-zip';
import { openDuckDbEngine } from '../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import { sharpImageCodec } from '../../../../../../shared/adapters/image/sharp-image-codec';
import type { Dataset, DatasetVersion } from '../../../../../../shared/domain/datasets/dataset-records';
import {
  acceptsFormat,
  fileKindOf,
  queueFor,
  type FileKind,
} from '../../../../../../shared/domain/datasets/file-formats';
import { FileValidationFailure } from '../../../../../../shared/domain/datasets/ingestion/workers/file-validation-failure';
import { makeImageProcessor } from '../../../../../../shared/domain/datasets/ingestion/workers/image-processor';
import type { ProcessorContext } from '../../../../../../shared/domain/datasets/ingestion/workers/modality-processor';
import type { SqlEngine } from '../../../../../../shared/ports/sql-engine.port';
import { MemoryBlobs } from '../../../../../integration/support/memory-blobs';
import { drawShapeSet } from '../../../../../support/image/draw-shapes';

const USER = '11111111-1111-4111-8111-111111111111';
const DATASET = '22222222-2222-4222-8222-222222222222';
const processImages = makeImageProcessor({ images: sharpImageCodec, unpackArchive: unpackZip });

let dir: string;
let engine: SqlEngine | undefined;
let blobs: MemoryBlobs;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'image-processor-'));
  blobs = new MemoryBlobs();
});
afterEach(async () => {
  engine?.close();
  engine = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function run(
  fileName: string,
  bytes: Uint8Array,
  processor = processImages,
  archiveLimit?: { tier: string; maxUnpackedBytes: number },
) {
  const filePath = join(dir, 'raw');
  await writeFile(filePath, bytes);
  const context: ProcessorContext = {
    dataset: { id: DATASET, userId: USER, modality: 'image' } as Dataset,
    version: {
      id: '33333333-3333-4333-8333-333333333333',
      datasetId: DATASET,
      userId: USER,
      versionNumber: 1,
      originalFilename: fileName,
      originalFormat: fileName.endsWith('.zip') ? 'zip' : 'png',
    } as DatasetVersion,
    filePath,
    sizeBytes: bytes.byteLength,
    sha256: 'x'.repeat(64),
    tempDir: dir,
    blobs,
    engine: async () =>
      (engine ??= await openDuckDbEngine({ tempDirectory: join(dir, 'engine'), threads: 1 })),
    processedKey: `processed/${USER}/${DATASET}/1/data.parquet`,
    manifestKey: `processed/${USER}/${DATASET}/1/manifest.parquet`,
    now: new Date(),
    progress: async () => {},
    ...(archiveLimit ? { archiveLimit } : {}),
  };
  return processor(context);
}

async function manifestRows(): Promise<Record<string, unknown>[]> {
  const file = join(dir, 'read-back.parquet');
  const bytes = blobs.objects.get(`processed/${USER}/${DATASET}/1/manifest.parquet`);
  if (!bytes) throw new Error('no manifest was stored');
  await writeFile(file, bytes);
  const e = await openDuckDbEngine({ tempDirectory: join(dir, 'engine2'), threads: 1 });
  try {
    return await e.all(`SELECT * FROM read_parquet('${file}') ORDER BY path`);
  } finally {
    e.close();
  }
}

// Decoding and drawing images takes a while on a busy machine: the default 5 s is too short.
describe('image ingestion', { timeout: 60_000 }, () => {
  it('reads an ImageFolder zip: one manifest row per image with its class, size, hashes and stored object', async () => {
    const set = await drawShapeSet(3, 7, { size: 48 });
    const zip = zipSync(Object.fromEntries(set.map((f) => [`shapes/${f.name}`, new Uint8Array(f.bytes)])));
    const outcome = await run('shapes.zip', zip);
    expect(outcome.rowCount).toBe(9);
    const rows = await manifestRows();
    expect(rows.map((r) => r['label'])).toEqual([
      ...Array(3).fill('circle'),
      ...Array(3).fill('square'),
      ...Array(3).fill('triangle'),
    ]);
    const first = rows[0] ?? {};
    expect(first).toMatchObject({
      path: 'shapes/circle/circle-000.png',
      width: 48,
      height: 48,
      format: 'png',
    });
    expect(String(first['dhash'])).toMatch(/^[0-9a-f]{16}$/);
    expect(String(first['sha256'])).toMatch(/^[0-9a-f]{64}$/);
    // The image itself is kept under the version's objects, byte for byte.
    expect(Buffer.from(blobs.objects.get(String(first['object_key'])) ?? [])).toEqual(set[0]?.bytes);
    expect(outcome.modalityMetadata).toMatchObject({
      layout: 'folders',
      images: 9,
      fileErrorCount: 0,
      profile: {
        classes: [
          { label: 'circle', count: 3 },
          { label: 'square', count: 3 },
          { label: 'triangle', count: 3 },
        ],
      },
    });
  });

  it('lists corrupt, truncated and unsupported files one by one and keeps the rest', async () => {
    const set = await drawShapeSet(2, 3, { size: 32, format: 'jpeg' });
    const good = set.slice(0, 4);
    const jpeg = set[5]?.bytes ?? Buffer.alloc(0);
    const zip = zipSync({
      ...Object.fromEntries(good.map((f) => [f.name, new Uint8Array(f.bytes)])),
      'square/cut.jpg': new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
      'square/notes.txt': new TextEncoder().encode('not an image'),
      'circle/garbage.png': new Uint8Array([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18,
      ]),
      '__MACOSX/._x.jpg': new Uint8Array([1]),
    });
    const outcome = await run('mixed.zip', zip);
    expect(outcome.rowCount).toBe(4);
    const meta = outcome.modalityMetadata as {
      fileErrors: { path: string; code: string }[];
      fileErrorCount: number;
    };
    expect(meta.fileErrorCount).toBe(3);
    expect(meta.fileErrors.map((e) => [e.path, e.code])).toEqual([
      ['circle/garbage.png', 'IMAGE.UNSUPPORTED'],
      ['square/cut.jpg', 'IMAGE.CORRUPT'],
      ['square/notes.txt', 'IMAGE.UNSUPPORTED'],
    ]);
  });

  it('takes labels from a manifest CSV and names the rows whose file is missing', async () => {
    const set = await drawShapeSet(1, 5, { size: 32 });
    const zip = zipSync({
      'data/manifest.csv': new TextEncoder().encode(
        `path,label\nimg/a.png,round\nimg/b.png,boxy\nimg/missing.png,boxy\n`,
      ),
      'data/img/a.png': new Uint8Array(set[0]?.bytes ?? []),
      'data/img/b.png': new Uint8Array(set[1]?.bytes ?? []),
      'data/img/extra.png': new Uint8Array(set[2]?.bytes ?? []),
    });
    const outcome = await run('labelled.zip', zip);
    const rows = await manifestRows();
    expect(rows.map((r) => [r['path'], r['label']])).toEqual([
      ['data/img/a.png', 'round'],
      ['data/img/b.png', 'boxy'],
      ['data/img/extra.png', null],
    ]);
    expect(outcome.modalityMetadata).toMatchObject({
      layout: 'manifest',
      fileErrors: [{ path: 'img/missing.png', code: 'IMAGE.MISSING' }],
    });
  });

  it('groups near-duplicates by perceptual hash in the profile', async () => {
    const set = await drawShapeSet(2, 11, { size: 64 });
    const original = set[0]?.bytes ?? Buffer.alloc(0);
    const sharp = (await import('sharp')).default;
    const recompressed = await sharp(original).jpeg({ quality: 70 }).toBuffer();
    const zip = zipSync({
      ...Object.fromEntries(set.map((f) => [f.name, new Uint8Array(f.bytes)])),
      'circle/copy.jpg': new Uint8Array(recompressed),
    });
    const outcome = await run('dups.zip', zip);
    const profile = (outcome.modalityMetadata as { profile: { nearDuplicateGroups: { paths: string[] }[] } })
      .profile;
    expect(profile.nearDuplicateGroups).toContainEqual(
      expect.objectContaining({ paths: ['circle/circle-000.png', 'circle/copy.jpg'] }),
    );
  });

  it('stops unpacking at its limits whatever sizes the archive declares', async () => {
    const MiB = 1024 * 1024;
    const bounded = makeImageProcessor({
      images: sharpImageCodec,
      unpackArchive: unpackZip,
      limits: { maxEntries: 100, maxEntryBytes: 1 * MiB, maxUnpackedBytes: 3 * MiB },
    });
    const lie = (zip: Buffer) => {
      // Declare 100 bytes for every entry in the central directory.
      for (
        let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        at >= 0;
        at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)
      )
        zip.writeUInt32LE(100, at + 24);
      return zip;
    };
    const one = lie(Buffer.from(zipSync({ 'bomb/a.png': new Uint8Array(2 * MiB) })));
    const entry = run('bomb.zip', one, bounded);
    await expect(entry).rejects.toBeInstanceOf(FileValidationFailure);
    await expect(entry).rejects.toMatchObject({
      issues: [
        {
          code: 'ARCHIVE.TOO_LARGE',
          message: expect.stringMatching(/^bomb\/a\.png: The entry unpacks to more than 1,048,576 bytes/),
        },
      ],
    });
    const many = lie(
      Buffer.from(
        zipSync(Object.fromEntries([1, 2, 3, 4].map((n) => [`bomb/${n}.png`, new Uint8Array(0.9 * MiB)]))),
      ),
    );
    await expect(run('bombs.zip', many, bounded)).rejects.toMatchObject({
      issues: [{ code: 'ARCHIVE.TOO_LARGE', message: 'The archive unpacks to more than 3,145,728 bytes.' }],
    });
  });

  it('holds an archive to its uploader’s tier limit when that is the smaller one', async () => {
    const MiB = 1024 * 1024;
    const zip = zipSync(
      Object.fromEntries([1, 2, 3].map((n) => [`big/${n}.png`, new Uint8Array(0.6 * MiB)])),
    );
    const outcome = run('big.zip', zip, processImages, { tier: 'free', maxUnpackedBytes: 1 * MiB });
    await expect(outcome).rejects.toMatchObject({
      issues: [
        {
          code: 'ARCHIVE.TOO_LARGE',
          message: expect.stringMatching(/The free tier unpacks archives to 1 MiB at most/),
        },
      ],
    });
  });

  it('lists an entry whose bytes do not match its checksum as damaged', async () => {
    const set = await drawShapeSet(1, 9, { size: 32 });
    const zip = Buffer.from(
      zipSync(
        {
          'circle/a.png': new Uint8Array(set[0]?.bytes ?? []),
          'square/b.png': new Uint8Array(set[1]?.bytes ?? []),
        },
        { level: 0 },
      ),
    );
    // Flip a byte in the middle of the first stored entry's data.
    const at = 30 + 'circle/a.png'.length + Math.floor((set[0]?.bytes.length ?? 0) / 2);
    zip[at] = (zip[at] ?? 0) ^ 0xff;
    const outcome = await run('damaged.zip', zip);
    expect(outcome.rowCount).toBe(1);
    expect(outcome.modalityMetadata).toMatchObject({
      fileErrors: [
        { path: 'circle/a.png', code: 'ARCHIVE.DAMAGED', message: expect.stringMatching(/checksum/) },
      ],
    });
  });

  it('takes a zip only into an image dataset', () => {
    const zip = fileKindOf('photos.ZIP');
    expect(zip).toMatchObject({ format: 'zip', contentType: 'application/zip' });
    expect(acceptsFormat('image', zip as FileKind)).toBe(true);
    expect(acceptsFormat('tabular', zip as FileKind)).toBe(false);
    expect(queueFor('image', zip as FileKind)).toBe('image');
  });

  it('fails a single file that is not a decodable image', async () => {
    await expect(run('x.png', new TextEncoder().encode('hello'))).rejects.toMatchObject({
      issues: [{ code: 'IMAGE.UNSUPPORTED' }],
    });
  });

  it('fails an empty file, and a .zip that is not a zip archive', async () => {
    await expect(run('x.png', new Uint8Array(0))).rejects.toMatchObject({ issues: [{ code: 'FILE.EMPTY' }] });
    await expect(run('photos.zip', new TextEncoder().encode('not a zip'))).rejects.toMatchObject({
      issues: [{ code: 'ARCHIVE.NOT_A_ZIP' }],
    });
  });

  it('fails an archive whose every file is left out, listing each, and one with no file at all', async () => {
    const bad = zipSync({
      'cats/a.png': new TextEncoder().encode('not an image'),
      'dogs/b.jpg': new Uint8Array([1, 2, 3]),
    });
    const failure = await run('bad.zip', bad).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FileValidationFailure);
    expect((failure as FileValidationFailure).issues.map((i) => [i.code, i.sample])).toEqual([
      ['IMAGE.UNSUPPORTED', 'cats/a.png'],
      ['IMAGE.UNSUPPORTED', 'dogs/b.jpg'],
    ]);
    await expect(
      run('empty.zip', zipSync({ 'labels.csv': new TextEncoder().encode('path,label\n') })),
    ).rejects.toMatchObject({
      issues: [{ code: 'IMAGE.NONE' }],
    });
  });
});
