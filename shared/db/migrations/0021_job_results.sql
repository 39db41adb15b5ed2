-- Job results (seed 003): what a node of a job produced for its owner to use — a batch
-- prediction's output table, its quality metrics, and the dataset version it was registered as.
-- One row per node of a job: a retried node updates its row instead of adding a second one.
--
-- A pipeline output registered as a dataset version arrives like an upload (its object is written
-- under raw/, and ingestion validates, converts and profiles it); its source is 'pipeline'.
--
-- Row-level security: results already has the tenant policy of 0007. A foreign key does not look
-- through the policy, though: the trigger below keeps a result's job, dataset and dataset version
-- to rows of its own owner, and the version to the dataset named.

ALTER TABLE results
  -- Seed 003's output_dataset_id, beside the version it already had.
  ADD COLUMN output_dataset_id uuid REFERENCES datasets (id) ON DELETE SET NULL,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT results_node_id_check CHECK (node_id IS NULL OR length(node_id) BETWEEN 1 AND 64),
  ADD CONSTRAINT results_job_node_key UNIQUE (job_id, node_id);

-- GET /jobs/{id}/results pages a job's results newest first.
DROP INDEX idx_results_job;
CREATE INDEX idx_results_job_page ON results (job_id, created_at DESC, id DESC);
-- ON DELETE SET NULL of the output references looks results up by them.
CREATE INDEX idx_results_output_dataset ON results (output_dataset_id) WHERE output_dataset_id IS NOT NULL;
CREATE INDEX idx_results_output_dataset_version ON results (output_dataset_version_id)
  WHERE output_dataset_version_id IS NOT NULL;
CREATE TRIGGER results_set_updated_at BEFORE UPDATE ON results
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Only references being set are checked: an ON DELETE SET NULL (a purged dataset) changes the row
-- while the referenced row is already gone.
CREATE FUNCTION results_same_owner_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  inserted boolean := TG_OP = 'INSERT';
BEGIN
  IF (inserted OR NEW.job_id IS DISTINCT FROM OLD.job_id OR NEW.user_id IS DISTINCT FROM OLD.user_id)
     AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = NEW.job_id AND user_id = NEW.user_id) THEN
    RAISE EXCEPTION 'job % is not one of the result owner''s', NEW.job_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'results_job_id_fkey';
  END IF;
  IF NEW.output_dataset_id IS NOT NULL
     AND (inserted OR NEW.output_dataset_id IS DISTINCT FROM OLD.output_dataset_id
          OR NEW.user_id IS DISTINCT FROM OLD.user_id)
     AND NOT EXISTS (SELECT 1 FROM datasets WHERE id = NEW.output_dataset_id AND user_id = NEW.user_id) THEN
    RAISE EXCEPTION 'dataset % is not one of the result owner''s', NEW.output_dataset_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'results_output_dataset_id_fkey';
  END IF;
  IF NEW.output_dataset_version_id IS NOT NULL
     AND (inserted OR NEW.output_dataset_version_id IS DISTINCT FROM OLD.output_dataset_version_id
          OR NEW.output_dataset_id IS DISTINCT FROM OLD.output_dataset_id
          OR NEW.user_id IS DISTINCT FROM OLD.user_id)
     AND NOT EXISTS (
       SELECT 1 FROM dataset_versions
        WHERE id = NEW.output_dataset_version_id AND user_id = NEW.user_id
          AND (NEW.output_dataset_id IS NULL OR dataset_id = NEW.output_dataset_id)
     ) THEN
    RAISE EXCEPTION 'dataset version % is not one of the result owner''s, or not of dataset %',
      NEW.output_dataset_version_id, NEW.output_dataset_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'results_output_dataset_version_id_fkey';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER results_same_owner_references
  BEFORE INSERT OR UPDATE OF job_id, output_dataset_id, output_dataset_version_id, user_id ON results
  FOR EACH ROW EXECUTE FUNCTION results_same_owner_references();

-- A prediction node finds the model an upstream training node of its job stored by its artifact.
CREATE INDEX idx_models_artifact_key ON models (user_id, artifact_key);

-- Pipeline outputs are a fifth way a version arrives.
ALTER TABLE datasets
  DROP CONSTRAINT datasets_source_type_check,
  ADD CONSTRAINT datasets_source_type_check
    CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled', 'pipeline'));
ALTER TABLE dataset_versions
  DROP CONSTRAINT dataset_versions_source_type_check,
  ADD CONSTRAINT dataset_versions_source_type_check
    CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled', 'pipeline'));
ALTER TABLE ingestion_jobs
  DROP CONSTRAINT ingestion_jobs_source_type_check,
  ADD CONSTRAINT ingestion_jobs_source_type_check
    CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled', 'pipeline'));
