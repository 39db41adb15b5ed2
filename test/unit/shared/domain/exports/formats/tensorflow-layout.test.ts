import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeExampleWithProtobufjs } from '../support/example-proto';
import { countingBatches, openExportWorkspace, type ExportWorkspace } from '../support/export-workspace';
import { numpyImportable, readExportWithPython } from '../support/python-reader';
import { decodeExample, readTfRecords } from '../support/tfrecord-reader';

let ws: ExportWorkspace;
beforeAll(async () => {
  ws = await openExportWorkspace();
});
afterAll(async () => {
  await ws.close();
});

/** A float, a nullable integer (written as float32), an int64 beyond 2^53, a nullable text and a class label. */
const TINY = `SELECT x::DOUBLE AS x, n::INTEGER AS n, k::BIGINT AS k, name::VARCHAR AS name, label::VARCHAR AS label
              FROM (VALUES (1.5, 2, 9007199254740993, 'ann', 'cat'), (-0.25, NULL, -1, NULL, 'dog'), (3.0, -7, 0, 'ünï', 'cat'))
              AS t(x, n, k, name, label)`;

const TINY_EXAMPLES = [
  {
    x: { kind: 'float', values: [1.5] },
    n: { kind: 'float', values: [2] },
    k: { kind: 'int64', values: [9007199254740993n] },
    name: { kind: 'bytes', values: ['ann'] },
    label: { kind: 'int64', values: [0n] },
  },
  {
    x: { kind: 'float', values: [-0.25] },
    n: { kind: 'float', values: [NaN] },
    k: { kind: 'int64', values: [-1n] },
    label: { kind: 'int64', values: [1n] },
  },
  {
    x: { kind: 'float', values: [3] },
    n: { kind: 'float', values: [-7] },
    k: { kind: 'int64', values: [0n] },
    name: { kind: 'bytes', values: ['ünï'] },
    label: { kind: 'int64', values: [0n] },
  },
];

async function tinyExport(name: string): Promise<string> {
  const { outDir } = await ws.exportAs(name, TINY, 'tensorflow', { labelColumn: 'label' });
  return outDir;
}

describe('the TensorFlow layout', () => {
  it('writes framed, CRC-checked tf.train.Examples, byte for byte', async () => {
    const outDir = await tinyExport('tf-tiny');
    const bytes = await readFile(path.join(outDir, 'data/train-00000-of-00001.tfrecord'));
    const records = readTfRecords(bytes);
    expect(records.map(decodeExample)).toEqual(TINY_EXAMPLES);
    // The same bytes through protobufjs and the published schema.
    const first = decodeExampleWithProtobufjs(records[0] ?? new Uint8Array());
    expect(first['k']?.int64List?.value).toEqual(['9007199254740993']);
    expect(Buffer.from(first['name']?.bytesList?.value[0] ?? '', 'base64').toString()).toBe('ann');
    // Golden bytes, checked by the readers above and by the Python reader.
    const golden = (
      await readFile(path.join(import.meta.dirname, '../fixtures/tiny-tensorflow.tfrecord.hex'), 'utf8')
    ).replace(/\s+/g, '');
    expect(bytes.toString('hex')).toBe(golden);

    const spec = JSON.parse(await readFile(path.join(outDir, 'features.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(spec['features']).toEqual({
      x: { type: 'FixedLenFeature', dtype: 'float32', shape: [] },
      n: { type: 'FixedLenFeature', dtype: 'float32', shape: [] },
      k: { type: 'FixedLenFeature', dtype: 'int64', shape: [] },
      name: { type: 'FixedLenFeature', dtype: 'string', shape: [], default_value: '' },
      label: { type: 'FixedLenFeature', dtype: 'int64', shape: [] },
    });
    expect(spec).toMatchObject({
      label: { name: 'label', task: 'classification', classes: ['cat', 'dog'] },
      splits: { train: { rows: 3, files: ['data/train-00000-of-00001.tfrecord'] } },
    });
  });

  it('cuts each split into the shards asked for, reading the table in batches', async () => {
    const engine = countingBatches(ws.engine);
    const { outDir, result } = await ws.exportAs(
      'tf-medium',
      `SELECT range::BIGINT AS id, range % 2 = 0 AS even, 'row ' || range AS text,
              CASE WHEN range % 4 = 0 THEN 'test' ELSE 'train' END AS part FROM range(12000)`,
      'tensorflow',
      { splitColumn: 'part', shards: 3 },
      { engine, batchRows: 2500 },
    );
    // train: 9,000 rows in 4 batches; test: 3,000 rows in 2.
    expect(engine.batches()).toBe(6);
    const shards = result.files.filter((file) => file.relativePath.endsWith('.tfrecord'));
    expect(shards.map((file) => [file.relativePath, file.rows])).toEqual([
      ['data/train-00000-of-00003.tfrecord', 3000],
      ['data/train-00001-of-00003.tfrecord', 3000],
      ['data/train-00002-of-00003.tfrecord', 3000],
      ['data/test-00000-of-00003.tfrecord', 1000],
      ['data/test-00001-of-00003.tfrecord', 1000],
      ['data/test-00002-of-00003.tfrecord', 1000],
    ]);
    const ids: bigint[] = [];
    for (const shard of shards.slice(0, 3)) {
      const examples = readTfRecords(await readFile(path.join(outDir, shard.relativePath))).map(
        decodeExample,
      );
      expect(examples).toHaveLength(3000);
      for (const example of examples) {
        const id = example['id']?.values[0] as bigint;
        ids.push(id);
        expect(example['even']).toEqual({ kind: 'int64', values: [id % 2n === 0n ? 1n : 0n] });
        expect(example['text']).toEqual({ kind: 'bytes', values: [`row ${id}`] });
        expect(example['part']).toBeUndefined();
      }
    }
    expect(ids).toEqual(Array.from({ length: 12000 }, (_, i) => BigInt(i)).filter((i) => i % 4n !== 0n));
  });

  it.runIf(numpyImportable)('is read back by the Python reader, CRCs checked', async () => {
    const outDir = await tinyExport('tf-python');
    const read = readExportWithPython('tensorflow', outDir) as { files: Record<string, unknown[]> };
    const asPython = TINY_EXAMPLES.map((example) =>
      Object.fromEntries(
        Object.entries(example).map(([key, feature]) => [
          key,
          {
            kind: feature.kind,
            values: (feature.values as (number | bigint | string)[]).map((v) =>
              typeof v === 'bigint' ? String(v) : typeof v === 'number' && Number.isNaN(v) ? null : v,
            ),
          },
        ]),
      ),
    );
    expect(read.files['data/train-00000-of-00001.tfrecord']).toEqual(asPython);
  });
});
