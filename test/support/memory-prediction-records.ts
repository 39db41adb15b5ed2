import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../shared/kernel/app-error';
import { PredictorCache, predictorOf } from '../../shared/domain/models/model-predictors';
import type {
  JobResultRecord,
  JobResults,
  RecordedJobResult,
} from '../../shared/domain/nodes/job-results.port';
import type { ModelRegistration } from '../../shared/domain/nodes/learning-records.port';
import type {
  ModelReference,
  RegisteredModel,
  RegisteredModels,
} from '../../shared/domain/nodes/registered-models.port';
import type { BlobStore } from '../../shared/ports/blob-store.port';

/**
 * The registered models of a node harness: the models its training nodes registered (one owner),
 * numbered per name in registration order, with aliases a test sets. Artifacts are read from the
 * harness's store and checked against their SHA-256 as the real registry checks them.
 */
export class MemoryRegisteredModels implements RegisteredModels {
  readonly #aliases = new Map<string, string>();

  constructor(
    private readonly blobs: Pick<BlobStore, 'getBytes'>,
    private readonly registered: readonly ModelRegistration[],
  ) {}

  setAlias(name: string, alias: string, modelId: string): void {
    this.#aliases.set(`${name}@${alias}`, modelId);
  }

  async load(reference: ModelReference): Promise<RegisteredModel> {
    const found = this.find(reference);
    if (!found) throw new NotFoundError('Model', JSON.stringify(reference));
    const predictor = await predictorOf(
      { blobs: this.blobs, logger: { error: () => undefined } },
      {
        id: found.model.modelId,
        artifactKey: found.model.artifactKey,
        artifactSha256: found.model.artifactSha256,
      },
      new PredictorCache(),
    );
    return {
      modelId: found.model.modelId,
      name: found.name,
      version: found.version,
      sha256: found.model.artifactSha256,
      predictor,
    };
  }

  private find(reference: ModelReference) {
    const versions = this.registered.map((model, index) => {
      const name = model.name ?? 'pipeline';
      const version = this.registered
        .slice(0, index + 1)
        .filter((m) => (m.name ?? 'pipeline') === name).length;
      return { model, name, version };
    });
    switch (reference.kind) {
      case 'id':
        return versions.find((v) => v.model.modelId === reference.modelId);
      case 'artifact':
        return versions.find((v) => v.model.artifactKey === reference.artifactKey);
      case 'version':
        return versions.find((v) => v.name === reference.name && v.version === reference.version);
      case 'alias': {
        const modelId = this.#aliases.get(`${reference.name}@${reference.alias}`);
        return versions.find((v) => v.model.modelId === modelId);
      }
    }
  }
}

/** Job results kept in memory; a registered output gets a made-up dataset version. */
export class MemoryJobResults implements JobResults {
  readonly records: JobResultRecord[] = [];

  async record(result: JobResultRecord): Promise<RecordedJobResult> {
    this.records.push(result);
    return {
      resultId: randomUUID(),
      outputDataset: result.outputDataset
        ? {
            datasetId:
              'datasetId' in result.outputDataset.target
                ? result.outputDataset.target.datasetId
                : randomUUID(),
            datasetVersionId: randomUUID(),
            versionNumber: 1,
          }
        : null,
    };
  }
}
