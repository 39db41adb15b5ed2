import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbEngine } from '../../../../../../shared/adapters/duckdb/duckdb-sql-engine';
import { exportImages, isImageLayoutExport } from '../../../../../../shared/domain/exports/export-images';
import { exportOptionsSchema } from '../../../../../../shared/domain/exports/formats/export-options';
import type { SqlEngine } from '../../../../../../shared/ports/sql-engine.port';
import { drawShapeSet } from '../../../../../support/image/draw-shapes';
import { parseExample, readTfRecords } from '../../../../../support/image/read-tfrecord';

const USER = '11111111-1111-4111-8111-111111111111';
let dir: string;
let engine: SqlEngine;
let manifest: string;
const stored = new Map<string, Uint8Array>();
const blobs = {
  getBytes: async (key: string) => {
    const bytes = stored.get(key);
    if (!bytes) throw new Error(`no object ${key}`);
    return bytes;
  },
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'image-layouts-'));
  engine = await openDuckDbEngine({ tempDirectory: path.join(dir, 'engine'), threads: 1 });
  const set = await drawShapeSet(2, 4, { size: 24 });
  const rows: Record<string, string | number | null>[] = set.map((image, i) => {
    const key = `processed/${USER}/d/1/images/${i}.png`;
    stored.set(key, new Uint8Array(image.bytes));
    return {
      path: `shapes/${image.name}`,
      label: image.label,
      width: 24,
      height: 24,
      format: 'png',
      object_key: key,
    };
  });
  rows.push({
    path: 'loose.png',
    label: null,
    width: 24,
    height: 24,
    format: 'png',
    object_key: `processed/${USER}/d/1/images/0.png`,
  });
  await writeFile(path.join(dir, 'm.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  manifest = path.join(dir, 'manifest.parquet');
  await engine.run(
    `COPY (SELECT * FROM read_json('${path.join(dir, 'm.jsonl')}')) TO '${manifest}' (FORMAT parquet)`,
  );
}, 60_000);

afterAll(async () => {
  engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(format: 'huggingface' | 'pytorch' | 'tensorflow', options: Record<string, unknown> = {}) {
  const outDir = await mkdtemp(path.join(dir, `${format}-`));
  const request = {
    parquetPath: manifest,
    outDir,
    format,
    options: exportOptionsSchema(format).parse(options),
  };
  expect(await isImageLayoutExport(engine, request)).toBe(true);
  return { outDir, result: await exportImages(engine, blobs, USER, request) };
}

// Decoding and drawing images takes a while on a busy machine: the default 5 s is too short.
describe('image export layouts', { timeout: 60_000 }, () => {
  it('writes the Hugging Face imagefolder layout: split/label/file, byte for byte, unlabelled images left out', async () => {
    const { outDir, result } = await run('huggingface');
    expect(result.files.map((f) => f.relativePath).sort()).toEqual([
      'train/circle/circle-000.png',
      'train/circle/circle-001.png',
      'train/square/square-000.png',
      'train/square/square-001.png',
      'train/triangle/triangle-000.png',
      'train/triangle/triangle-001.png',
    ]);
    expect(result.metadata).toMatchObject({
      layout: 'imagefolder',
      unlabelledLeftOut: 1,
      splits: { train: 6 },
    });
    const copied = await readFile(path.join(outDir, 'train/square/square-000.png'));
    expect(await sharp(copied).metadata()).toMatchObject({ width: 24, height: 24, format: 'png' });
  });

  it('writes the PyTorch ImageFolder layout per split with the sorted classes', async () => {
    const { outDir, result } = await run('pytorch', { split: { testFraction: 0.5, seed: 1 } });
    const paths = result.files.map((f) => f.relativePath);
    expect(paths.filter((p) => p.startsWith('train/'))).toHaveLength(3);
    expect(paths.filter((p) => p.startsWith('test/'))).toHaveLength(3);
    expect(JSON.parse(await readFile(path.join(outDir, 'classes.json'), 'utf8'))).toEqual([
      'circle',
      'square',
      'triangle',
    ]);
  });

  it('writes TFRecord files whose frames and Examples read back with image/encoded holding the image', async () => {
    const { outDir, result } = await run('tensorflow');
    expect(result.files.map((f) => f.relativePath)).toEqual([
      'train-00000-of-00001.tfrecord',
      'classes.json',
    ]);
    const records = readTfRecords(
      new Uint8Array(await readFile(path.join(outDir, 'train-00000-of-00001.tfrecord'))),
    );
    expect(records).toHaveLength(6);
    const examples = records.map(parseExample);
    const text = (v: unknown) => new TextDecoder().decode((v as { bytes: Uint8Array[] }).bytes[0]);
    expect(examples.map((e) => text(e.get('image/class/text')))).toEqual([
      'circle',
      'square',
      'triangle',
      'circle',
      'square',
      'triangle',
    ]);
    expect(examples.map((e) => (e.get('image/class/label') as { int64: bigint[] }).int64[0])).toEqual([
      0n,
      1n,
      2n,
      0n,
      1n,
      2n,
    ]);
    const first = examples[0];
    expect(text(first?.get('image/filename'))).toBe('shapes/circle/circle-000.png');
    expect((first?.get('image/height') as { int64: bigint[] }).int64).toEqual([24n]);
    const encoded = (first?.get('image/encoded') as { bytes: Uint8Array[] }).bytes[0];
    expect(Buffer.from(encoded ?? [])).toEqual(
      Buffer.from(stored.get(`processed/${USER}/d/1/images/0.png`) ?? []),
    );
  });

  it('refuses a table naming another account’s images', async () => {
    const foreign = path.join(dir, 'foreign.parquet');
    await engine.run(
      `COPY (SELECT 'a' AS label, 'processed/99999999-9999-4999-8999-999999999999/d/1/images/x.png' AS object_key) TO '${foreign}' (FORMAT parquet)`,
    );
    const outDir = await mkdtemp(path.join(dir, 'foreign-'));
    await expect(
      exportImages(engine, blobs, USER, {
        parquetPath: foreign,
        outDir,
        format: 'pytorch',
        options: exportOptionsSchema('pytorch').parse({}),
      }),
    ).rejects.toMatchObject({ code: 'EXPORT.FOREIGN_IMAGE' });
  });
});
