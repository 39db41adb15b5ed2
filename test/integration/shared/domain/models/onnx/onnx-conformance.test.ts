import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadPredictor, type ModelSignature } from '../../../../../../shared/domain/learning/model-artifact';
import type { Table } from '../../../../../../shared/domain/learning/table';
import { exportOnnxModel } from '../../../../../../shared/domain/models/onnx/export-onnx-model';
import { FIXTURE_KINDS, trainFixture } from '../../../../../support/onnx-fixture-models';

/**
 * The exported graph, run by onnxruntime, predicts what PipeWeave's own predictor predicts on the
 * same raw rows (missing values and never-seen categories included): the same label on every
 * row, probabilities within 1e-5 and regression values within 1e-5 of their size (the graph
 * computes in float32).
 */

/** The rows as the graph's inputs: float [N, 1] (NaN when missing), text [N, 1] ('' when missing). */
function feeds(signature: ModelSignature, rows: Table): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const input of signature.inputs) {
    const column = rows.columns.find((c) => c.name === input.name);
    if (!column) throw new Error(`no column ${input.name}`);
    out[input.name] =
      column.kind === 'string'
        ? new ort.Tensor(
            'string',
            column.values.map((v) => v ?? ''),
            [rows.nRows, 1],
          )
        : new ort.Tensor('float32', Float32Array.from(column.values), [rows.nRows, 1]);
  }
  return out;
}

async function runOnnx(bytes: Uint8Array, signature: ModelSignature, rows: Table) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds(signature, rows));
  } finally {
    await session.release();
  }
}

describe('ONNX export conformance with onnxruntime', () => {
  it.each(FIXTURE_KINDS)('%s: the same labels, probabilities and values as our predictor', async (kind) => {
    // Prepare
    const { artifact, rows } = trainFixture(kind);
    const ours = loadPredictor(artifact).predictTable(rows);

    // Act
    const result = await runOnnx(exportOnnxModel(artifact), artifact.signature, rows);

    // Assess
    expect(rows.nRows).toBeGreaterThanOrEqual(300);
    if (artifact.problemType === 'regression') {
      const values = result['variable']?.data as Float32Array;
      expect(result['variable']?.dims).toEqual([rows.nRows, 1]);
      let worst = 0;
      ours.predictions.forEach((expected, i) => {
        const e = Number(expected);
        worst = Math.max(worst, Math.abs((values[i] ?? NaN) - e) / Math.max(1, Math.abs(e)));
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
      return;
    }
    const classes = ours.classes ?? [];
    const labels = Array.from(result['label']?.data as ArrayLike<bigint | string>, String);
    const flips = labels.filter((label, i) => label !== String(ours.predictions[i])).length;
    expect(flips).toBe(0);
    const probabilities = result['probabilities']?.data as Float32Array;
    expect(result['probabilities']?.dims).toEqual([rows.nRows, classes.length]);
    let worst = 0;
    classes.forEach((label, c) => {
      const expected = ours.probabilities?.[String(label)] ?? new Float64Array(0);
      for (let i = 0; i < rows.nRows; i += 1)
        worst = Math.max(
          worst,
          Math.abs((probabilities[i * classes.length + c] ?? NaN) - (expected[i] ?? NaN)),
        );
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
