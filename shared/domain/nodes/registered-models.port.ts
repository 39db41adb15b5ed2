import type { ModelPredictor } from '../learning/model-artifact';

/**
 * The registered models a prediction node reads. The node runtime implements it over the model
 * registry (shared/domain/models) in the job owner's tenant scope, so a node can only load its
 * owner's models (another tenant's id is a NotFoundError, as over the API); nodes see only this port.
 */

/** Which model to load: by id, by an alias or a version of its registered name, or by its artifact. */
export type ModelReference =
  | { kind: 'id'; modelId: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'version'; name: string; version: number }
  /** The model a training node of the same job stored (its `model` output). */
  | { kind: 'artifact'; artifactKey: string };

export interface RegisteredModel {
  modelId: string;
  name: string;
  version: number;
  /** The artifact's SHA-256, checked against the bytes when they were read. */
  sha256: string;
  predictor: ModelPredictor;
}

/** A registered model as the registry describes it, without loading a predictor. */
export interface RegisteredModelRecord {
  modelId: string;
  name: string;
  version: number;
  algorithm: string;
  problemType: string | null;
  artifactKey: string;
  sha256: string;
  hyperparameters: Record<string, unknown>;
}

export interface RegisteredModels {
  /**
   * The owner's model as registered (processing configurations such as seismic denoisers are read
   * from their artifact by the node). Throws a NotFoundError when the owner has no such model.
   * Hosts over the model registry implement it.
   */
  describeModel?(reference: ModelReference): Promise<RegisteredModelRecord>;
  /**
   * The job owner's model with its predictor; the artifact's bytes are checked against the SHA-256
   * recorded when it was trained. Throws a NotFoundError when the owner has no such model.
   */
  load(reference: ModelReference): Promise<RegisteredModel>;
}
