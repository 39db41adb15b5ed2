import type { BaselineModel } from './baseline-model';
import type { FeatureReference } from './drift-tests';
import { featureMatrix } from './feature-matrix';

/**
 * A baseline model as one file in the object store: a JSON header, then its arrays as
 * little-endian float64 (exact: a model read back scores rows exactly as the one written).
 * Layout: "PWBM1\n", header length (uint32 LE), header, padding to 8 bytes, arrays in header order.
 */
const MAGIC = 'PWBM1\n';

interface Header {
  rows: number;
  cols: number;
  featureNames: string[];
  settings: BaselineModel['settings'];
  map: Omit<BaselineModel['map'], 'coordinates'>;
  mahalanobis: BaselineModel['mahalanobis'];
  scorer: { nearestThreshold: number; t2Threshold: number; speThreshold: number; k: number };
  references: { mean: number; std: number; categories?: number[] }[];
}

export function encodeBaselineModel(model: BaselineModel): Uint8Array {
  const { features, map, scorer } = model;
  const header: Header = {
    rows: features.rows,
    cols: features.cols,
    featureNames: model.featureNames,
    settings: model.settings,
    map: {
      lowdim: map.lowdim,
      distanceRange: map.distanceRange,
      similarity: map.similarity,
      iterations: map.iterations,
      cost: map.cost,
      stopReason: map.stopReason,
    },
    mahalanobis: model.mahalanobis,
    scorer: {
      nearestThreshold: scorer.nearestThreshold,
      t2Threshold: scorer.t2Threshold,
      speThreshold: scorer.speThreshold,
      k: scorer.pca.k,
    },
    references: model.references.map((r) => ({
      mean: r.mean,
      std: r.std,
      ...(r.categories ? { categories: r.categories } : {}),
    })),
  };
  const arrays = [
    features.values,
    map.coordinates,
    scorer.pca.mean,
    scorer.pca.components,
    scorer.pca.variances,
    ...model.references.map((r) => r.sorted),
  ];
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = align8(MAGIC.length + 4 + json.length);
  const total = start + arrays.reduce((s, a) => s + a.length * 8, 0);
  const bytes = new Uint8Array(total);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(MAGIC.length, json.length, true);
  bytes.set(json, MAGIC.length + 4);
  let at = start;
  for (const array of arrays) {
    for (let i = 0; i < array.length; i += 1) view.setFloat64(at + i * 8, array[i] ?? 0, true);
    at += array.length * 8;
  }
  return bytes;
}

export function decodeBaselineModel(bytes: Uint8Array): BaselineModel {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new Error('not a baseline model file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + length)),
  ) as Header;
  let at = align8(MAGIC.length + 4 + length);
  const next = (count: number): Float64Array => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i += 1) out[i] = view.getFloat64(at + i * 8, true);
    at += count * 8;
    return out;
  };
  const { rows, cols } = header;
  const values = next(rows * cols);
  const coordinates = next(rows * header.map.lowdim);
  const mean = next(cols);
  const components = next(header.scorer.k * cols);
  const variances = next(header.scorer.k);
  const references: FeatureReference[] = header.references.map((r) => ({ ...r, sorted: next(rows) }));
  return {
    featureNames: header.featureNames,
    features: featureMatrix(rows, cols, values),
    map: { ...header.map, coordinates },
    mahalanobis: header.mahalanobis,
    scorer: {
      nearestThreshold: header.scorer.nearestThreshold,
      t2Threshold: header.scorer.t2Threshold,
      speThreshold: header.scorer.speThreshold,
      pca: { mean, components, variances, k: header.scorer.k },
    },
    references,
    settings: header.settings,
  };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
