import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fitLearner } from '../../../../../shared/domain/learning/learner-catalog';
import {
  createModelArtifact,
  inferSignature,
  serializeArtifact,
  type ModelPredictor,
} from '../../../../../shared/domain/learning/model-artifact';
import {
  createTable,
  encodeLabels,
  numberColumn,
  stringColumn,
  toFeatureMatrix,
} from '../../../../../shared/domain/learning/table';
import { NotFoundError } from '../../../../../shared/kernel/app-error';
import {
  ModelArtifactCorruptError,
  PredictorCache,
  predictorOf,
} from '../../../../../shared/domain/models/model-predictors';

/** A small decision tree on one numeric input, as stored bytes. */
function artifactBytes(): Uint8Array {
  const xs = Array.from({ length: 40 }, (_, i) => i);
  const table = createTable([
    numberColumn('x', xs),
    stringColumn(
      'label',
      xs.map((x) => (x < 20 ? 'low' : 'high')),
    ),
  ]);
  const x = toFeatureMatrix(table, ['x']);
  const { target, classes } = encodeLabels(table, 'label');
  const learner = fitLearner(
    'decision_tree',
    x,
    { problemType: 'classification', y: target },
    {},
    { seed: 1 },
  );
  const artifact = createModelArtifact({
    problemType: 'classification',
    target: { name: 'label', classes: [...classes] },
    signature: inferSignature(table, { exclude: ['label'] }),
    transforms: [],
    features: { names: ['x'], categoricalEncodings: {} },
    learner: learner.toState(),
    trainedAt: '2026-01-02T03:04:05.000Z',
    seed: 1,
    frameworkVersion: '0.1.0',
    metrics: {},
  });
  return Buffer.from(serializeArtifact(artifact), 'utf8');
}

const bytes = artifactBytes();
const sha256 = createHash('sha256').update(bytes).digest('hex');

function storage(objects: Record<string, Uint8Array>) {
  const reads: string[] = [];
  const errors: Record<string, unknown>[] = [];
  return {
    reads,
    errors,
    deps: {
      blobs: {
        getBytes: (key: string) => {
          reads.push(key);
          const found = objects[key];
          return found ? Promise.resolve(found) : Promise.reject(new NotFoundError('Object', key));
        },
      },
      logger: { error: (_message: string, facts: Record<string, unknown>) => void errors.push(facts) },
    },
  };
}

const model = (artifactSha256: string | null, artifactKey = 'models/u/m/model.json') => ({
  id: '11111111-1111-4111-8111-111111111111',
  artifactKey,
  artifactSha256,
});

describe('predictorOf', () => {
  it('loads a verified artifact once per warm function, keyed by its sha256', async () => {
    const store = storage({ 'models/u/m/model.json': bytes });
    const cache = new PredictorCache();
    const first = await predictorOf(store.deps, model(sha256), cache);
    const second = await predictorOf(store.deps, model(sha256.toUpperCase()), cache);
    expect(second).toBe(first);
    expect(store.reads).toEqual(['models/u/m/model.json']);
    const table = createTable([numberColumn('x', [3, 33])]);
    expect(first.predictTable(table).predictions).toEqual(['low', 'high']);
  });

  it('refuses bytes whose sha256 differs from the model’s, logging it and keeping nothing', async () => {
    const tampered = Buffer.from(bytes);
    tampered[10] = (tampered[10] ?? 0) ^ 1;
    const store = storage({ 'models/u/m/model.json': tampered });
    const cache = new PredictorCache();
    const failure = predictorOf(store.deps, model(sha256), cache);
    await expect(failure).rejects.toBeInstanceOf(ModelArtifactCorruptError);
    await expect(failure).rejects.toMatchObject({
      status: 500,
      code: 'MODEL.ARTIFACT_CORRUPT',
      exposeDetail: true,
      message: expect.stringMatching(/is corrupt: its SHA-256 does not match/),
    });
    expect(store.errors[0]).toMatchObject({ reason: 'sha256 mismatch', expectedSha256: sha256 });
    expect(cache.size).toBe(0);
  });

  it('answers a missing object or a model without a digest as corrupt too', async () => {
    const store = storage({});
    await expect(predictorOf(store.deps, model(sha256), new PredictorCache())).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/missing from storage/),
    });
    await expect(predictorOf(store.deps, model(null), new PredictorCache())).rejects.toMatchObject({
      status: 500,
      message: expect.stringMatching(/no recorded SHA-256/),
    });
  });
});

describe('PredictorCache', () => {
  it('keeps the most recently used predictors up to its capacity', async () => {
    const cache = new PredictorCache(2);
    const predictor = (name: string) => Promise.resolve({ problemType: name } as unknown as ModelPredictor);
    await cache.get('a', () => predictor('a'));
    await cache.get('b', () => predictor('b'));
    await cache.get('a', () => predictor('again'));
    await cache.get('c', () => predictor('c'));
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect((await cache.get('a', () => predictor('reloaded'))).problemType).toBe('a');
  });
});
