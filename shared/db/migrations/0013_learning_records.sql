-- Learning records: what training nodes write besides their files. An experiment run names the
-- learner, the pipeline node that ran it and why it stopped (a time budget ends a trial as
-- 'timeout'); a model keeps its lineage: the experiment run it came from, the dataset version it
-- was trained on and the seed. A job has at most one experiment of its own.
--
-- Row-level security: experiments, experiment_runs and models already have the tenant policy of
-- 0007 (row by row, so new columns are covered). A foreign key does not look through the policy,
-- though: the trigger below keeps a model's new references to rows of its own owner.

ALTER TABLE experiment_runs
  ADD COLUMN learner text,
  ADD COLUMN node_id text,
  ADD COLUMN stop_reason text,
  DROP CONSTRAINT experiment_runs_status_check,
  ADD CONSTRAINT experiment_runs_status_check CHECK (status IN ('running', 'completed', 'failed', 'timeout')),
  ADD CONSTRAINT experiment_runs_learner_check CHECK (learner IS NULL OR length(learner) BETWEEN 1 AND 200),
  ADD CONSTRAINT experiment_runs_stop_reason_check CHECK (stop_reason IS NULL OR length(stop_reason) <= 1000);

ALTER TABLE models
  ADD COLUMN experiment_run_id uuid REFERENCES experiment_runs (id) ON DELETE SET NULL,
  ADD COLUMN dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE SET NULL,
  ADD COLUMN seed integer;

-- The job's own experiment is created once, however many training nodes of the job ask at once
-- (an upsert on this key); experiments created through the API have no job.
DROP INDEX idx_experiments_job;
CREATE UNIQUE INDEX experiments_job_id_key ON experiments (job_id) WHERE job_id IS NOT NULL;
-- GET /experiments pages newest first, per owner and optionally per dataset or pipeline.
CREATE INDEX idx_experiments_dataset ON experiments (dataset_id, created_at DESC, id DESC);
CREATE INDEX idx_experiments_pipeline ON experiments (pipeline_id, created_at DESC, id DESC);
CREATE INDEX idx_experiment_runs_model ON experiment_runs (model_id) WHERE model_id IS NOT NULL;
CREATE INDEX idx_experiments_best_run ON experiments (best_run_id) WHERE best_run_id IS NOT NULL;
-- ON DELETE SET NULL of the new references looks models up by them.
CREATE INDEX idx_models_experiment_run ON models (experiment_run_id) WHERE experiment_run_id IS NOT NULL;
CREATE INDEX idx_models_dataset_version ON models (dataset_version_id) WHERE dataset_version_id IS NOT NULL;

CREATE FUNCTION models_same_owner_references() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.experiment_run_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM experiment_runs WHERE id = NEW.experiment_run_id AND user_id = NEW.user_id
  ) THEN
    RAISE EXCEPTION 'experiment run % is not one of the model owner''s', NEW.experiment_run_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'models_experiment_run_id_fkey';
  END IF;
  IF NEW.dataset_version_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM dataset_versions WHERE id = NEW.dataset_version_id AND user_id = NEW.user_id
  ) THEN
    RAISE EXCEPTION 'dataset version % is not one of the model owner''s', NEW.dataset_version_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'models_dataset_version_id_fkey';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER models_same_owner_references
  BEFORE INSERT OR UPDATE OF experiment_run_id, dataset_version_id, user_id ON models
  FOR EACH ROW EXECUTE FUNCTION models_same_owner_references();
