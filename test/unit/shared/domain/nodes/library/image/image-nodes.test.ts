import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharpImageCodec } from '../../../../../../../shared/adapters/image/sharp-image-codec';
import { imageFeatureNames, imageFeatures } from '../../../../../../../shared/domain/image/image-features';
import { createNodeHarness, USER_ID, type NodeHarness } from '../../../../../support/node-test-context';
import { drawShapeSet } from '../../../../../../support/image/draw-shapes';

let h: NodeHarness;
let manifest: string;
const images = sharpImageCodec;
const options = { images };

beforeAll(async () => {
  h = await createNodeHarness();
  const set = await drawShapeSet(2, 21, { size: 40 });
  const values: string[] = [];
  for (const [i, image] of set.entries()) {
    const key = `processed/${USER_ID}/33333333-3333-4333-8333-333333333333/1/images/${String(i).padStart(64, '0')}.png`;
    await h.blobs.put(key, image.bytes);
    values.push(
      `('${image.name}', '${image.label}', 40, 40, 3, 'png', ${image.bytes.length}, 'sha', 'dhash', '${key}')`,
    );
  }
  manifest = await h.table(
    'processed/manifest.parquet',
    `SELECT * FROM (VALUES ${values.join(', ')}) AS t(path, label, width, height, channels, format, size_bytes, sha256, dhash, object_key)`,
  );
}, 60_000);

afterAll(async () => {
  await h.close();
});

// Decoding and drawing images takes a while on a busy machine: the default 5 s is too short.
describe('image nodes', { timeout: 60_000 }, () => {
  it('image.features writes the label and one number per feature for every image', async () => {
    const result = await h.run('image.features', { table: { key: manifest } }, {}, options);
    const out = result.outputs['table'];
    const names = imageFeatureNames(
      { pixelGrid: 8, histogramBins: 8, hog: true, hogSize: 32, hogCell: 8 },
      3,
    );
    expect(names).toHaveLength(8 * 8 * 3 + 8 * 3 + 3 * 3 * 36);
    expect(out).toMatchObject({ rows: 6, columnCount: 1 + names.length });
    const rows = await h.rows(out?.key ?? '', 'label');
    expect(rows.map((r) => r['label'])).toEqual([
      'circle',
      'circle',
      'square',
      'square',
      'triangle',
      'triangle',
    ]);
    // Histograms are shares of the pixels: each channel's bins sum to 1.
    const first = rows[0] ?? {};
    const red = [0, 1, 2, 3, 4, 5, 6, 7].reduce((sum, b) => sum + Number(first[`hist_r_${b}`]), 0);
    expect(red).toBeCloseTo(1, 9);
    expect(Object.keys(first)).not.toContain('object_key');
  });

  it('computes HOG that tells a vertical edge from a horizontal one', () => {
    const size = 32;
    const vertical = new Uint8Array(size * size);
    const horizontal = new Uint8Array(size * size);
    for (let y = 0; y < size; y += 1)
      for (let x = 0; x < size; x += 1) {
        vertical[y * size + x] = x < 16 ? 0 : 255;
        horizontal[y * size + x] = y < 16 ? 0 : 255;
      }
    const opts = { pixelGrid: 0, histogramBins: 0, hog: true, hogSize: 32, hogCell: 8 };
    const v = imageFeatures({ data: vertical, width: size, height: size, channels: 1 }, opts);
    const hz = imageFeatures({ data: horizontal, width: size, height: size, channels: 1 }, opts);
    // Orientation bin 0 (gradients near 0°, i.e. along x) holds a vertical edge's energy, bin 4 (near 90°) a horizontal one's.
    const energy = (f: Float64Array, bin: number) =>
      f.filter((_, i) => i % 9 === bin).reduce((a, b) => a + b, 0);
    expect(energy(v, 0) + energy(v, 8)).toBeGreaterThan(1);
    expect(energy(v, 4)).toBe(0);
    expect(energy(hz, 4) + energy(hz, 3)).toBeGreaterThan(1);
    expect(energy(hz, 0)).toBe(0);
  });

  it('image.resize writes resized images under the node and a manifest pointing at them', async () => {
    const result = await h.run(
      'image.resize',
      { table: { key: manifest } },
      { width: 16, height: 12, fit: 'fill' },
      options,
    );
    const rows = await h.rows(result.outputs['table']?.key ?? '', 'path');
    expect(rows).toHaveLength(6);
    const row = rows[0] ?? {};
    expect(row).toMatchObject({
      path: 'circle/circle-000.png',
      label: 'circle',
      width: 16,
      height: 12,
      format: 'png',
    });
    expect(String(row['object_key'])).toMatch(new RegExp(`^jobs/${USER_ID}/`));
    const meta = await sharp(await h.blobs.getBytes(String(row['object_key']))).metadata();
    expect([meta.width, meta.height]).toEqual([16, 12]);
  });

  it('image.normalize writes grey images when asked', async () => {
    const result = await h.run('image.normalize', { table: { key: manifest } }, { colour: 'grey' }, options);
    const rows = await h.rows(result.outputs['table']?.key ?? '', 'path');
    const meta = await sharp(await h.blobs.getBytes(String(rows[0]?.['object_key']))).metadata();
    expect(meta.channels).toBe(1);
  });

  it('image.augment makes the same copies for the same seed and others for another seed', async () => {
    const params = { copies: 2, maxRotationDegrees: 20, minCropScale: 0.7 };
    const a = await h.run('image.augment', { table: { key: manifest } }, { ...params, seed: 1 }, options);
    const b = await h.run('image.augment', { table: { key: manifest } }, { ...params, seed: 1 }, options);
    const c = await h.run('image.augment', { table: { key: manifest } }, { ...params, seed: 2 }, options);
    const read = async (r: typeof a) =>
      await h.rows(r.outputs['table']?.key ?? '', 'path, augmentation NULLS FIRST, sha256');
    const [ra, rb, rc] = [await read(a), await read(b), await read(c)];
    expect(ra).toHaveLength(18);
    expect(ra.filter((r) => r['augmentation'] === null)).toHaveLength(6);
    expect(ra.map((r) => r['sha256'])).toEqual(rb.map((r) => r['sha256']));
    expect(ra.map((r) => r['augmentation'])).not.toEqual(rc.map((r) => r['augmentation']));
    expect(ra.every((r) => r['label'] !== null)).toBe(true);
  });

  it('refuses a manifest that names another account’s images', async () => {
    const foreign = await h.table(
      'processed/foreign.parquet',
      `SELECT 'x.png' AS path, 'processed/99999999-9999-4999-8999-999999999999/d/1/images/a.png' AS object_key`,
    );
    await expect(h.run('image.features', { table: { key: foreign } }, {}, options)).rejects.toThrow(
      /Row 1: "object_key" does not name one of your stored images/,
    );
  });

  it('says what is missing when the input is not an image manifest', async () => {
    const table = await h.table('processed/plain.parquet', `SELECT 1 AS a`);
    await expect(h.run('image.resize', { table: { key: table } }, {}, options)).rejects.toThrow(
      /not an image manifest/,
    );
  });
});
