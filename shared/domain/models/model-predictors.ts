import { createHash } from 'node:crypto';
import { AppError, NotFoundError } from '../../kernel/app-error';
import type { Logger } from '../../observability/logger';
import type { BlobStore } from '../../ports/blob-store.port';
import { loadPredictor, type ModelPredictor } from '../learning/model-artifact';
import type { Model } from './model-repository';

/**
 * Predictors of stored model artifacts, kept per warm function. An artifact read from storage is
 * checked against the SHA-256 recorded with its model before it is parsed; a predictor is cached
 * under that digest (the same bytes predict the same way, whoever's model they are), the least
 * recently used dropped beyond `MAX_CACHED_PREDICTORS`. Callers check ownership first.
 */

/** Models kept loaded per warm function. */
export const MAX_CACHED_PREDICTORS = 8;

/** 500: the stored artifact does not match its model (changed, truncated or gone). */
export class ModelArtifactCorruptError extends AppError {
  readonly status = 500;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('MODEL.ARTIFACT_CORRUPT', message, { ...options, exposeDetail: true });
  }
  override get title() {
    return 'The model’s artifact is corrupt';
  }
}

export class PredictorCache {
  readonly #entries = new Map<string, Promise<ModelPredictor>>();

  constructor(readonly capacity = MAX_CACHED_PREDICTORS) {}

  get size(): number {
    return this.#entries.size;
  }

  has(sha256: string): boolean {
    return this.#entries.has(sha256);
  }

  /** The cached predictor of `sha256`, or the one `load` gives (a failed load is not kept). */
  get(sha256: string, load: () => Promise<ModelPredictor>): Promise<ModelPredictor> {
    const cached = this.#entries.get(sha256);
    if (cached) {
      this.#entries.delete(sha256);
      this.#entries.set(sha256, cached);
      return cached;
    }
    const loading = load();
    this.#entries.set(sha256, loading);
    loading.catch(() => {
      if (this.#entries.get(sha256) === loading) this.#entries.delete(sha256);
    });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    return loading;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The warm function's cache. */
export const predictorCache = new PredictorCache();

export interface PredictorDeps {
  blobs: Pick<BlobStore, 'getBytes'>;
  logger: Pick<Logger, 'error'>;
}

/**
 * The predictor of `model`: from the cache, or read from storage, its SHA-256 checked against the
 * model's, then parsed and restored. A mismatch, a missing object or an artifact that cannot be
 * read is logged and thrown as a ModelArtifactCorruptError.
 */
export function predictorOf(
  deps: PredictorDeps,
  model: ArtifactOf,
  cache: PredictorCache = predictorCache,
): Promise<ModelPredictor> {
  const expected = model.artifactSha256?.toLowerCase();
  if (!expected) return Promise.reject(unverifiable(model));
  return cache.get(expected, async () => {
    const text = await readArtifactText(deps, model);
    try {
      return loadPredictor(text);
    } catch (error) {
      return corrupt(
        deps,
        model,
        `The artifact of model ${model.id} cannot be read as a model; retrain the model.`,
        { reason: 'unreadable' },
        error,
      );
    }
  });
}

type ArtifactOf = Pick<Model, 'id' | 'artifactKey' | 'artifactSha256'>;

const unverifiable = (model: ArtifactOf) =>
  new ModelArtifactCorruptError(
    `Model ${model.id} has no recorded SHA-256, so its artifact cannot be verified; retrain it.`,
  );

/** Logs what is wrong with the stored artifact and throws the client's 500. */
function corrupt(
  deps: Pick<PredictorDeps, 'logger'>,
  model: ArtifactOf,
  message: string,
  facts: Record<string, unknown>,
  cause?: unknown,
): never {
  deps.logger.error('model artifact is corrupt', {
    modelId: model.id,
    artifactKey: model.artifactKey,
    expectedSha256: model.artifactSha256?.toLowerCase() ?? null,
    ...facts,
    ...(cause === undefined ? {} : { error: cause }),
  });
  throw new ModelArtifactCorruptError(message, cause === undefined ? {} : { cause });
}

/**
 * The text of `model`'s artifact, read from storage and checked against the SHA-256 recorded
 * with the model; a missing object or a mismatch is logged and thrown as ModelArtifactCorruptError.
 */
export async function readArtifactText(deps: PredictorDeps, model: ArtifactOf): Promise<string> {
  const expected = model.artifactSha256?.toLowerCase();
  if (!expected) throw unverifiable(model);
  let bytes: Uint8Array;
  try {
    bytes = await deps.blobs.getBytes(model.artifactKey);
  } catch (error) {
    if (error instanceof NotFoundError)
      return corrupt(
        deps,
        model,
        `The artifact of model ${model.id} is missing from storage; retrain the model.`,
        { reason: 'missing' },
        error,
      );
    throw error;
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected)
    return corrupt(
      deps,
      model,
      `The artifact of model ${model.id} is corrupt: its SHA-256 does not match the one recorded when it was trained; retrain the model.`,
      { reason: 'sha256 mismatch', actualSha256: actual, sizeBytes: bytes.byteLength },
    );
  return Buffer.from(bytes).toString('utf8');
}
