/**
 * A job's results (seed 003): the output table a node produced for its owner to use, its quality
 * metrics, and optionally the dataset version it becomes. The node runtime implements it over the
 * database in the job owner's tenant scope; nodes see only this port.
 */

/** The owner's dataset a result becomes the next version of: an existing one, or one by name. */
export type OutputDatasetTarget = { datasetId: string } | { name: string };

export interface JobResultRecord {
  /** The object key of the output table. */
  outputKey: string;
  rowCount: number;
  metrics: Record<string, number | string | boolean | null>;
  /**
   * Registers the output as the next version of a dataset (created, tabular, when no dataset of
   * the owner has that name). The version is ingested as an upload would be.
   */
  outputDataset?:
    | {
        target: OutputDatasetTarget;
        /** The version's file name, e.g. `predictions.parquet`. */
        fileName: string;
        sizeBytes: number;
      }
    | undefined;
}

export interface OutputDatasetVersion {
  datasetId: string;
  datasetVersionId: string;
  versionNumber: number;
}

export interface RecordedJobResult {
  resultId: string;
  outputDataset: OutputDatasetVersion | null;
}

export interface JobResults {
  /**
   * Records the node's result (a retried node replaces its earlier record) and, when asked,
   * registers its output as a dataset version, once per node of a job: a retry finds the version
   * the first attempt registered.
   */
  record(result: JobResultRecord): Promise<RecordedJobResult>;
}
