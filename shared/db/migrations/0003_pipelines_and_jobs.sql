-- Pipelines and runs: the node catalog, task templates, pipelines and their snapshots, jobs and
-- their nodes, models, experiments, results and exports.

CREATE TABLE node_types (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stable identifier used in pipeline definitions, e.g. `table.filter_rows`.
  key               text NOT NULL,
  name              text NOT NULL,
  description       text NOT NULL DEFAULT '',
  kind              text NOT NULL,
  modalities        text[] NOT NULL,
  -- [{"name": "table", "type": "table", "required": true}, ...]
  input_ports       jsonb NOT NULL DEFAULT '[]',
  output_ports      jsonb NOT NULL DEFAULT '[]',
  -- JSON Schema (draft 2020-12) of the node's parameters, with defaults.
  parameters_schema jsonb NOT NULL DEFAULT '{"type": "object"}',
  runtime           text NOT NULL DEFAULT 'lambda',
  -- {"baseCredits": 1, "perMillionRowsCredits": 2}: estimated credits = base + rows / 1e6 * perMillionRows.
  cost_model        jsonb NOT NULL,
  version           integer NOT NULL DEFAULT 1,
  is_active         boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT node_types_key_key UNIQUE (key),
  CONSTRAINT node_types_key_check CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  CONSTRAINT node_types_kind_check CHECK (
    kind IN ('source', 'transform', 'train', 'evaluate', 'predict', 'export', 'analyze')
  ),
  CONSTRAINT node_types_modalities_check CHECK (
    cardinality(modalities) > 0 AND modalities <@ ARRAY['tabular', 'text', 'image', 'audio', 'video', 'timeseries',
      'seismic', 'multimodal']::text[]
  ),
  CONSTRAINT node_types_ports_check CHECK (jsonb_typeof(input_ports) = 'array' AND jsonb_typeof(output_ports) = 'array'),
  CONSTRAINT node_types_parameters_schema_check CHECK (jsonb_typeof(parameters_schema) = 'object'),
  CONSTRAINT node_types_runtime_check CHECK (runtime IN ('lambda', 'fargate')),
  CONSTRAINT node_types_cost_model_check CHECK (
    jsonb_typeof(cost_model) = 'object'
    AND jsonb_typeof(cost_model -> 'baseCredits') = 'number' AND (cost_model ->> 'baseCredits')::numeric >= 0
    AND (NOT cost_model ? 'perMillionRowsCredits'
         OR (jsonb_typeof(cost_model -> 'perMillionRowsCredits') = 'number'
             AND (cost_model ->> 'perMillionRowsCredits')::numeric >= 0))
  ),
  CONSTRAINT node_types_version_check CHECK (version > 0)
);
CREATE INDEX idx_node_types_kind ON node_types (kind) WHERE is_active;
CREATE TRIGGER node_types_set_updated_at BEFORE UPDATE ON node_types
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE ml_tasks (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key         text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  modality    text NOT NULL,
  task_type   text NOT NULL,
  -- Suggested pipeline definition (nodes + edges) and default evaluation metrics.
  template    jsonb NOT NULL DEFAULT '{"nodes": [], "edges": []}',
  metrics     text[] NOT NULL DEFAULT '{}',
  is_active   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ml_tasks_key_key UNIQUE (key),
  CONSTRAINT ml_tasks_modality_check CHECK (
    modality IN ('tabular', 'text', 'image', 'audio', 'video', 'timeseries', 'seismic', 'multimodal')
  ),
  CONSTRAINT ml_tasks_task_type_check CHECK (
    task_type IN ('classification', 'regression', 'clustering', 'ner', 'object_detection', 'forecasting',
      'denoising', 'anomaly_detection', 'dimensionality_reduction', 'other')
  ),
  CONSTRAINT ml_tasks_template_check CHECK (jsonb_typeof(template) = 'object')
);
CREATE INDEX idx_ml_tasks_modality ON ml_tasks (modality) WHERE is_active;
CREATE TRIGGER ml_tasks_set_updated_at BEFORE UPDATE ON ml_tasks
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE pipelines (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id        uuid REFERENCES datasets (id) ON DELETE SET NULL,
  ml_task_id        uuid REFERENCES ml_tasks (id) ON DELETE SET NULL,
  name              text NOT NULL,
  description       text,
  -- {"nodes": [{"id", "type", "params"}...], "edges": [{"from", "to"}...]}
  definition        jsonb NOT NULL DEFAULT '{"nodes": [], "edges": []}',
  status            text NOT NULL DEFAULT 'draft',
  validation_errors jsonb,
  validated_at      timestamptz,
  -- Revision of the definition: bumped by the trigger below whenever the definition changes.
  version           integer NOT NULL DEFAULT 1,
  is_template       boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  deleted_at        timestamptz,
  CONSTRAINT pipelines_name_check CHECK (length(name) BETWEEN 1 AND 255),
  CONSTRAINT pipelines_definition_check CHECK (
    jsonb_typeof(definition) = 'object'
    AND jsonb_typeof(definition -> 'nodes') = 'array' AND jsonb_typeof(definition -> 'edges') = 'array'
  ),
  CONSTRAINT pipelines_status_check CHECK (status IN ('draft', 'validated', 'archived')),
  CONSTRAINT pipelines_version_check CHECK (version > 0)
);
CREATE INDEX idx_pipelines_user ON pipelines (user_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_pipelines_dataset ON pipelines (dataset_id);
CREATE INDEX idx_pipelines_config ON pipelines USING gin (definition);
CREATE INDEX idx_pipelines_templates ON pipelines (created_at) WHERE is_template AND deleted_at IS NULL;
CREATE TRIGGER pipelines_set_updated_at BEFORE UPDATE ON pipelines
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION pipelines_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- A caller doing optimistic concurrency sets the version itself; otherwise the definition's
  -- revision moves on its own.
  IF NEW.definition IS DISTINCT FROM OLD.definition AND NEW.version = OLD.version THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER pipelines_bump_version BEFORE UPDATE OF definition ON pipelines
  FOR EACH ROW EXECUTE FUNCTION pipelines_bump_version();

-- Generic owner counters: users.<column> follows the live (not soft-deleted) rows of a table.
CREATE FUNCTION maintain_user_counter() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  counter text := TG_ARGV[0];
  has_soft_delete boolean := TG_ARGV[1]::boolean;
  old_live boolean := TG_OP IN ('UPDATE', 'DELETE')
    AND (NOT has_soft_delete OR (to_jsonb(OLD) ->> 'deleted_at') IS NULL);
  new_live boolean := TG_OP IN ('INSERT', 'UPDATE')
    AND (NOT has_soft_delete OR (to_jsonb(NEW) ->> 'deleted_at') IS NULL);
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
    RAISE EXCEPTION '% rows cannot change owner', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_owner_immutable';
  END IF;
  IF old_live AND NOT new_live THEN
    EXECUTE format('UPDATE users SET %1$I = %1$I - 1 WHERE id = $1', counter) USING OLD.user_id;
  ELSIF new_live AND NOT old_live THEN
    EXECUTE format('UPDATE users SET %1$I = %1$I + 1 WHERE id = $1', counter) USING NEW.user_id;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER pipelines_count AFTER INSERT OR DELETE OR UPDATE OF deleted_at, user_id ON pipelines
  FOR EACH ROW EXECUTE FUNCTION maintain_user_counter('pipeline_count', 'true');

CREATE TABLE pipeline_snapshots (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Survives the pipeline's deletion.
  pipeline_id      uuid REFERENCES pipelines (id) ON DELETE SET NULL,
  pipeline_version integer,
  name             text NOT NULL,
  definition       jsonb NOT NULL,
  -- The catalog entries of the node types used, as they were when the snapshot was taken.
  node_types       jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pipeline_snapshots_definition_check CHECK (
    jsonb_typeof(definition) = 'object'
    AND jsonb_typeof(definition -> 'nodes') = 'array' AND jsonb_typeof(definition -> 'edges') = 'array'
  )
);
CREATE INDEX idx_pipeline_snapshots_pipeline ON pipeline_snapshots (pipeline_id);
CREATE INDEX idx_pipeline_snapshots_user ON pipeline_snapshots (user_id);

CREATE FUNCTION pipeline_snapshots_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- The only change allowed is the pipeline link going away when the pipeline is deleted.
  IF NEW.pipeline_id IS NOT NULL AND NEW.pipeline_id IS DISTINCT FROM OLD.pipeline_id
     OR (to_jsonb(NEW) - 'pipeline_id') IS DISTINCT FROM (to_jsonb(OLD) - 'pipeline_id') THEN
    RAISE EXCEPTION 'pipeline snapshots are immutable' USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER pipeline_snapshots_immutable BEFORE UPDATE ON pipeline_snapshots
  FOR EACH ROW EXECUTE FUNCTION pipeline_snapshots_immutable();

CREATE TABLE jobs (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  snapshot_id        uuid NOT NULL REFERENCES pipeline_snapshots (id) ON DELETE RESTRICT,
  pipeline_id        uuid REFERENCES pipelines (id) ON DELETE SET NULL,
  dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE SET NULL,
  status             text NOT NULL DEFAULT 'queued',
  progress           integer NOT NULL DEFAULT 0,
  current_step       text,
  priority           integer NOT NULL DEFAULT 5,
  heartbeat_at       timestamptz,
  -- The state machine execution running the job (an ARN in AWS).
  execution_id       text,
  idempotency_key    text,
  estimated_credits  bigint NOT NULL DEFAULT 0,
  charged_credits    bigint NOT NULL DEFAULT 0,
  results            jsonb,
  error_message      text,
  error_traceback    text,
  started_at         timestamptz,
  completed_at       timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT jobs_user_idempotency_key_key UNIQUE (user_id, idempotency_key),
  CONSTRAINT jobs_execution_id_key UNIQUE (execution_id),
  CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  CONSTRAINT jobs_progress_check CHECK (progress BETWEEN 0 AND 100),
  CONSTRAINT jobs_priority_check CHECK (priority BETWEEN 1 AND 10),
  CONSTRAINT jobs_credits_check CHECK (estimated_credits >= 0 AND charged_credits >= 0),
  CONSTRAINT jobs_timings_check CHECK (completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX idx_jobs_status ON jobs (status);
CREATE INDEX idx_jobs_user ON jobs (user_id, created_at DESC);
CREATE INDEX idx_jobs_created ON jobs (created_at);
CREATE INDEX idx_jobs_heartbeat ON jobs (heartbeat_at) WHERE status = 'running';
CREATE INDEX idx_jobs_pipeline ON jobs (pipeline_id);
CREATE INDEX idx_jobs_snapshot ON jobs (snapshot_id);
CREATE INDEX idx_jobs_dataset_version ON jobs (dataset_version_id);
CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE job_nodes (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id        uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The node's id in the pipeline definition and its node type key.
  node_id       text NOT NULL,
  node_type     text NOT NULL,
  -- Topological level: nodes of one stage run in parallel.
  stage         integer NOT NULL DEFAULT 0,
  status        text NOT NULL DEFAULT 'pending',
  runtime       text NOT NULL,
  attempt       integer NOT NULL DEFAULT 0,
  -- Object keys of the outputs and the node's metrics.
  output        jsonb,
  error         text,
  started_at    timestamptz,
  completed_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT job_nodes_job_node_key UNIQUE (job_id, node_id),
  CONSTRAINT job_nodes_status_check CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped')),
  CONSTRAINT job_nodes_runtime_check CHECK (runtime IN ('lambda', 'fargate')),
  CONSTRAINT job_nodes_attempt_check CHECK (attempt >= 0),
  CONSTRAINT job_nodes_stage_check CHECK (stage >= 0)
);
CREATE INDEX idx_job_nodes_user ON job_nodes (user_id);
CREATE TRIGGER job_nodes_set_updated_at BEFORE UPDATE ON job_nodes
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE models (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Models persist after their job or pipeline is deleted.
  job_id              uuid REFERENCES jobs (id) ON DELETE SET NULL,
  pipeline_id         uuid REFERENCES pipelines (id) ON DELETE SET NULL,
  node_id             text,
  name                text NOT NULL,
  algorithm           text NOT NULL,
  problem_type        text,
  framework_version   text,
  artifact_key        text NOT NULL,
  config_key          text,
  metadata_key        text,
  artifact_size_bytes bigint,
  artifact_sha256     text,
  metrics             jsonb NOT NULL DEFAULT '{}',
  hyperparameters     jsonb NOT NULL DEFAULT '{}',
  feature_schema      jsonb,
  -- Per pipeline, assigned by the trigger below when not given.
  version             integer NOT NULL,
  stage               text NOT NULL DEFAULT 'none',
  deployed_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT models_pipeline_version_key UNIQUE (pipeline_id, version),
  CONSTRAINT models_problem_type_check CHECK (
    problem_type IS NULL OR problem_type IN ('classification', 'regression', 'clustering', 'ner', 'object_detection',
      'forecasting', 'denoising', 'anomaly_detection', 'dimensionality_reduction', 'other')
  ),
  CONSTRAINT models_stage_check CHECK (stage IN ('none', 'staging', 'production')),
  CONSTRAINT models_version_check CHECK (version > 0),
  CONSTRAINT models_artifact_size_check CHECK (artifact_size_bytes IS NULL OR artifact_size_bytes >= 0),
  CONSTRAINT models_artifact_sha256_check CHECK (artifact_sha256 IS NULL OR artifact_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX idx_models_job ON models (job_id);
CREATE INDEX idx_models_user ON models (user_id, created_at DESC);
CREATE INDEX idx_models_production ON models (pipeline_id) WHERE stage = 'production';
CREATE INDEX idx_models_metrics ON models USING gin (metrics);
CREATE TRIGGER models_set_updated_at BEFORE UPDATE ON models
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER models_count AFTER INSERT OR DELETE OR UPDATE OF user_id ON models
  FOR EACH ROW EXECUTE FUNCTION maintain_user_counter('model_count', 'false');

CREATE FUNCTION models_assign_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version IS NULL THEN
    IF NEW.pipeline_id IS NULL THEN
      NEW.version := 1;
    ELSE
      -- Serialize version numbering per pipeline.
      PERFORM pg_advisory_xact_lock(1350, hashtext(NEW.pipeline_id::text));
      SELECT coalesce(max(version), 0) + 1 INTO NEW.version FROM models WHERE pipeline_id = NEW.pipeline_id;
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER models_assign_version BEFORE INSERT ON models
  FOR EACH ROW EXECUTE FUNCTION models_assign_version();

CREATE TABLE experiments (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  pipeline_id         uuid REFERENCES pipelines (id) ON DELETE SET NULL,
  dataset_id          uuid REFERENCES datasets (id) ON DELETE SET NULL,
  -- The hyperparameter search job that fills the experiment, if any.
  job_id              uuid REFERENCES jobs (id) ON DELETE SET NULL,
  name                text NOT NULL,
  description         text,
  objective_metric    text,
  objective_direction text NOT NULL DEFAULT 'maximize',
  status              text NOT NULL DEFAULT 'active',
  best_run_id         uuid,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT experiments_objective_direction_check CHECK (objective_direction IN ('maximize', 'minimize')),
  CONSTRAINT experiments_status_check CHECK (status IN ('active', 'completed', 'archived'))
);
CREATE INDEX idx_experiments_user ON experiments (user_id, created_at DESC);
CREATE INDEX idx_experiments_job ON experiments (job_id);
CREATE TRIGGER experiments_set_updated_at BEFORE UPDATE ON experiments
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE experiment_runs (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  experiment_id    uuid NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  job_id           uuid REFERENCES jobs (id) ON DELETE CASCADE,
  model_id         uuid REFERENCES models (id) ON DELETE SET NULL,
  run_number       integer NOT NULL,
  hyperparameters  jsonb NOT NULL DEFAULT '{}',
  metrics          jsonb NOT NULL DEFAULT '{}',
  duration_seconds double precision,
  status           text NOT NULL DEFAULT 'running',
  error_message    text,
  started_at       timestamptz,
  completed_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT experiment_runs_run_number_key UNIQUE (experiment_id, run_number),
  CONSTRAINT experiment_runs_run_number_check CHECK (run_number > 0),
  CONSTRAINT experiment_runs_status_check CHECK (status IN ('running', 'completed', 'failed')),
  CONSTRAINT experiment_runs_duration_check CHECK (duration_seconds IS NULL OR duration_seconds >= 0)
);
CREATE INDEX idx_experiment_runs_job ON experiment_runs (job_id);
CREATE INDEX idx_experiment_runs_user ON experiment_runs (user_id);
CREATE TRIGGER experiment_runs_set_updated_at BEFORE UPDATE ON experiment_runs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE experiments
  ADD CONSTRAINT experiments_best_run_fkey FOREIGN KEY (best_run_id) REFERENCES experiment_runs (id) ON DELETE SET NULL;

CREATE TABLE results (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  job_id                    uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  node_id                   text,
  -- The job's output registered as a dataset version, when it was.
  output_dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE SET NULL,
  output_object_key         text,
  row_count                 bigint,
  -- Quality metrics of the output.
  metrics                   jsonb NOT NULL DEFAULT '{}',
  created_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT results_row_count_check CHECK (row_count IS NULL OR row_count >= 0)
);
CREATE INDEX idx_results_job ON results (job_id);
CREATE INDEX idx_results_user ON results (user_id);

CREATE TABLE exports (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- What is exported: a dataset version, or the output of a node of a job.
  dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE CASCADE,
  job_id             uuid REFERENCES jobs (id) ON DELETE CASCADE,
  node_id            text,
  format             text NOT NULL,
  status             text NOT NULL DEFAULT 'pending',
  object_key         text,
  file_size_bytes    bigint,
  metadata           jsonb NOT NULL DEFAULT '{}',
  error_message      text,
  completed_at       timestamptz,
  expires_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT exports_subject_check CHECK (dataset_version_id IS NOT NULL OR job_id IS NOT NULL),
  CONSTRAINT exports_format_check CHECK (
    format IN ('csv', 'json', 'parquet', 'huggingface', 'pytorch', 'tensorflow')
  ),
  CONSTRAINT exports_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  CONSTRAINT exports_file_size_check CHECK (file_size_bytes IS NULL OR file_size_bytes >= 0)
);
CREATE INDEX idx_exports_user ON exports (user_id, created_at DESC);
CREATE INDEX idx_exports_job ON exports (job_id);
CREATE INDEX idx_exports_dataset_version ON exports (dataset_version_id);
CREATE TRIGGER exports_set_updated_at BEFORE UPDATE ON exports
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
