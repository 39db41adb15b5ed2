-- Data: datasets and their versions, arrivals, EDA reports, schema deductions; the per-user
-- dataset counter and storage accounting.

CREATE TABLE datasets (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name                     text NOT NULL,
  description              text,
  modality                 text NOT NULL,
  problem_type             text,
  target_column            text,
  tags                     text[] NOT NULL DEFAULT '{}',
  source_type              text NOT NULL DEFAULT 'upload',
  -- Scheduled refresh: an https:// URL or s3:// URI, a schedule expression, and when it is next due.
  refresh_source_url       text,
  refresh_schedule         text,
  refresh_rerun_pipelines  boolean NOT NULL DEFAULT false,
  next_refresh_at          timestamptz,
  last_refreshed_at        timestamptz,
  last_refresh_error       text,
  current_version_id       uuid,
  metadata                 jsonb NOT NULL DEFAULT '{}',
  last_analysis_at         timestamptz,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  deleted_at               timestamptz,
  -- Target of composite foreign keys that keep children owned by the dataset's owner.
  CONSTRAINT datasets_id_user_key UNIQUE (id, user_id),
  CONSTRAINT datasets_name_check CHECK (length(name) BETWEEN 1 AND 255),
  CONSTRAINT datasets_modality_check CHECK (
    modality IN ('tabular', 'text', 'image', 'audio', 'video', 'timeseries', 'seismic', 'multimodal')
  ),
  CONSTRAINT datasets_problem_type_check CHECK (
    problem_type IS NULL OR problem_type IN ('classification', 'regression', 'clustering', 'ner', 'object_detection',
      'forecasting', 'denoising', 'anomaly_detection', 'dimensionality_reduction', 'other')
  ),
  CONSTRAINT datasets_source_type_check CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled')),
  CONSTRAINT datasets_refresh_check CHECK (
    source_type <> 'scheduled' OR (refresh_source_url IS NOT NULL AND refresh_schedule IS NOT NULL)
  ),
  CONSTRAINT datasets_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);
-- One live dataset per name and owner; a soft-deleted one frees its name.
CREATE UNIQUE INDEX datasets_user_name_key ON datasets (user_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX idx_datasets_user_id ON datasets (user_id, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_datasets_tags ON datasets USING gin (tags);
CREATE INDEX idx_datasets_refresh_due ON datasets (next_refresh_at)
  WHERE refresh_source_url IS NOT NULL AND deleted_at IS NULL;
CREATE TRIGGER datasets_set_updated_at BEFORE UPDATE ON datasets
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE dataset_versions (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dataset_id              uuid NOT NULL,
  -- The dataset's owner (enforced by the composite foreign key): dedupe and tenancy are per user.
  user_id                 uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  version_number          integer NOT NULL,
  version_label           text,
  source_type             text NOT NULL DEFAULT 'upload',
  original_filename       text NOT NULL,
  original_format         text NOT NULL DEFAULT 'unknown',
  content_type            text,
  original_size_bytes     bigint,
  -- Lower-case hex SHA-256 of the raw bytes, known once the upload is hashed.
  sha256                  text,
  -- Set (by the trigger below) when another version of the same user has the same sha256.
  duplicate_of_version_id uuid REFERENCES dataset_versions (id) ON DELETE SET NULL,
  raw_object_key          text,
  processed_object_key    text,
  processed_size_bytes    bigint,
  row_count               bigint,
  column_count            integer,
  columns_metadata        jsonb,
  -- Modality-specific facts, e.g. {"traces": 240, "samples": 1501, "sampleRateHz": 500} for seismic.
  modality_metadata       jsonb NOT NULL DEFAULT '{}',
  status                  text NOT NULL DEFAULT 'uploading',
  validation_errors       jsonb,
  upload_expires_at       timestamptz,
  validated_at            timestamptz,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dataset_versions_dataset_fkey FOREIGN KEY (dataset_id, user_id)
    REFERENCES datasets (id, user_id) ON DELETE CASCADE,
  CONSTRAINT dataset_versions_dataset_version_key UNIQUE (dataset_id, version_number),
  CONSTRAINT dataset_versions_dataset_id_id_key UNIQUE (dataset_id, id),
  CONSTRAINT dataset_versions_version_number_check CHECK (version_number > 0),
  CONSTRAINT dataset_versions_source_type_check CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled')),
  CONSTRAINT dataset_versions_original_format_check CHECK (
    original_format IN ('csv', 'tsv', 'json', 'jsonl', 'parquet', 'excel', 'text', 'segy', 'miniseed',
      'wav', 'mp3', 'flac', 'png', 'jpeg', 'tiff', 'mp4', 'zip', 'unknown')
  ),
  CONSTRAINT dataset_versions_sizes_check CHECK (
    (original_size_bytes IS NULL OR original_size_bytes > 0) AND (processed_size_bytes IS NULL OR processed_size_bytes >= 0)
  ),
  CONSTRAINT dataset_versions_sha256_check CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
  CONSTRAINT dataset_versions_counts_check CHECK (
    (row_count IS NULL OR row_count >= 0) AND (column_count IS NULL OR column_count >= 0)
  ),
  CONSTRAINT dataset_versions_status_check CHECK (
    status IN ('uploading', 'uploaded', 'validating', 'validated', 'failed')
  ),
  CONSTRAINT dataset_versions_not_own_duplicate CHECK (duplicate_of_version_id IS DISTINCT FROM id)
);
-- Dedupe per user: one canonical version per (user_id, sha256); re-uploads link to it.
CREATE UNIQUE INDEX dataset_versions_user_sha256_key ON dataset_versions (user_id, sha256)
  WHERE sha256 IS NOT NULL AND duplicate_of_version_id IS NULL;
CREATE INDEX idx_dataset_versions_user ON dataset_versions (user_id, created_at DESC);
CREATE INDEX idx_dataset_versions_status ON dataset_versions (status) WHERE status IN ('uploading', 'uploaded', 'validating');
CREATE INDEX idx_dataset_versions_duplicate_of ON dataset_versions (duplicate_of_version_id)
  WHERE duplicate_of_version_id IS NOT NULL;
CREATE TRIGGER dataset_versions_set_updated_at BEFORE UPDATE ON dataset_versions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE datasets
  ADD CONSTRAINT datasets_current_version_fkey FOREIGN KEY (id, current_version_id)
  REFERENCES dataset_versions (dataset_id, id) ON DELETE SET NULL (current_version_id);

-- Dedupe: when a version gets its sha256, link it to the user's canonical version with the same
-- content (if any); a link always points at the canonical version, never at another duplicate;
-- when a canonical version is deleted, its duplicates re-link to one of them, which takes over.
CREATE FUNCTION dataset_versions_link_duplicate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  target record;
  canonical uuid;
BEGIN
  IF NEW.sha256 IS NULL THEN
    NEW.duplicate_of_version_id := NULL;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.sha256 IS NOT DISTINCT FROM OLD.sha256
     AND NEW.duplicate_of_version_id IS NOT DISTINCT FROM OLD.duplicate_of_version_id
     AND NEW.user_id = OLD.user_id THEN
    RETURN NEW;
  END IF;
  -- Serialize versions of the same content for this user, so concurrent uploads link instead of colliding.
  PERFORM pg_advisory_xact_lock(1349, hashtext(NEW.user_id::text || ':' || NEW.sha256));

  IF NEW.duplicate_of_version_id IS NOT NULL THEN
    SELECT id, user_id, sha256, duplicate_of_version_id INTO target
      FROM dataset_versions WHERE id = NEW.duplicate_of_version_id;
    IF FOUND THEN
      IF target.user_id <> NEW.user_id OR target.sha256 IS DISTINCT FROM NEW.sha256 THEN
        RAISE EXCEPTION 'dataset version % can only be linked to a version of the same user with the same sha256', NEW.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'dataset_versions_duplicate_same_content';
      END IF;
      IF target.duplicate_of_version_id IS NOT NULL THEN
        NEW.duplicate_of_version_id := target.duplicate_of_version_id;
      END IF;
      RETURN NEW;
    END IF;
    -- The target does not exist: let the foreign key report it.
    RETURN NEW;
  END IF;

  SELECT id INTO canonical FROM dataset_versions
   WHERE user_id = NEW.user_id AND sha256 = NEW.sha256 AND duplicate_of_version_id IS NULL AND id <> NEW.id
   ORDER BY created_at, id
   LIMIT 1;
  IF FOUND THEN
    NEW.duplicate_of_version_id := canonical;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER dataset_versions_link_duplicate BEFORE INSERT OR UPDATE ON dataset_versions
  FOR EACH ROW EXECUTE FUNCTION dataset_versions_link_duplicate();

-- Counters and storage. A dataset counts while it is not soft-deleted; storage is the sum of the
-- raw and processed sizes of the versions of the user's live datasets.
CREATE FUNCTION dataset_version_bytes(v dataset_versions) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(v.original_size_bytes, 0) + coalesce(v.processed_size_bytes, 0)
$$;

CREATE FUNCTION datasets_maintain_user_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  bytes bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      UPDATE users SET dataset_count = dataset_count + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.user_id <> NEW.user_id THEN
      RAISE EXCEPTION 'a dataset cannot change owner' USING ERRCODE = 'check_violation', CONSTRAINT = 'datasets_owner_immutable';
    END IF;
    IF (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL) THEN
      RETURN NEW;
    END IF;
    SELECT coalesce(sum(dataset_version_bytes(v)), 0) INTO bytes FROM dataset_versions v WHERE v.dataset_id = NEW.id;
    IF NEW.deleted_at IS NULL THEN
      UPDATE users SET dataset_count = dataset_count + 1, storage_used_bytes = storage_used_bytes + bytes
       WHERE id = NEW.user_id;
    ELSE
      UPDATE users SET dataset_count = dataset_count - 1, storage_used_bytes = storage_used_bytes - bytes
       WHERE id = NEW.user_id;
    END IF;
    RETURN NEW;
  ELSE
    -- BEFORE DELETE: the versions still exist here; their own delete triggers will find the
    -- dataset gone and leave storage alone.
    IF OLD.deleted_at IS NULL THEN
      SELECT coalesce(sum(dataset_version_bytes(v)), 0) INTO bytes FROM dataset_versions v WHERE v.dataset_id = OLD.id;
      UPDATE users SET dataset_count = dataset_count - 1, storage_used_bytes = storage_used_bytes - bytes
       WHERE id = OLD.user_id;
    END IF;
    RETURN OLD;
  END IF;
END
$$;
CREATE TRIGGER datasets_counters_after AFTER INSERT OR UPDATE OF deleted_at, user_id ON datasets
  FOR EACH ROW EXECUTE FUNCTION datasets_maintain_user_counters();
CREATE TRIGGER datasets_counters_before_delete BEFORE DELETE ON datasets
  FOR EACH ROW EXECUTE FUNCTION datasets_maintain_user_counters();

CREATE FUNCTION dataset_versions_maintain_storage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  live boolean;
  delta bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND (OLD.dataset_id <> NEW.dataset_id OR OLD.user_id <> NEW.user_id) THEN
    RAISE EXCEPTION 'a dataset version cannot move to another dataset or owner'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'dataset_versions_owner_immutable';
  END IF;
  delta := CASE TG_OP
    WHEN 'INSERT' THEN dataset_version_bytes(NEW)
    WHEN 'UPDATE' THEN dataset_version_bytes(NEW) - dataset_version_bytes(OLD)
    ELSE -dataset_version_bytes(OLD)
  END;
  IF delta = 0 THEN
    RETURN NULL;
  END IF;
  -- Versions of a soft-deleted dataset do not count; on a dataset's hard delete the dataset row
  -- is already gone here and its BEFORE DELETE trigger has subtracted the versions.
  SELECT deleted_at IS NULL INTO live FROM datasets
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.dataset_id ELSE NEW.dataset_id END;
  IF coalesce(live, false) THEN
    UPDATE users SET storage_used_bytes = storage_used_bytes + delta
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER dataset_versions_storage
  AFTER INSERT OR DELETE OR UPDATE OF original_size_bytes, processed_size_bytes, dataset_id, user_id
  ON dataset_versions FOR EACH ROW EXECUTE FUNCTION dataset_versions_maintain_storage();

CREATE TABLE ingestion_jobs (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id         uuid REFERENCES datasets (id) ON DELETE CASCADE,
  dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE CASCADE,
  source_type        text NOT NULL,
  object_key         text NOT NULL,
  queue              text,
  message_id         text,
  -- Duplicate deliveries of one arrival (S3 events are at-least-once) carry the same key.
  idempotency_key    text,
  status             text NOT NULL DEFAULT 'queued',
  attempts           integer NOT NULL DEFAULT 0,
  error_message      text,
  error_details      jsonb,
  started_at         timestamptz,
  completed_at       timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ingestion_jobs_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT ingestion_jobs_source_type_check CHECK (source_type IN ('upload', 'api', 'dropfolder', 'scheduled')),
  CONSTRAINT ingestion_jobs_status_check CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'quarantined')),
  CONSTRAINT ingestion_jobs_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX idx_ingestion_jobs_user ON ingestion_jobs (user_id, created_at DESC);
CREATE INDEX idx_ingestion_jobs_version ON ingestion_jobs (dataset_version_id);
CREATE INDEX idx_ingestion_jobs_open ON ingestion_jobs (created_at) WHERE status IN ('queued', 'processing');
CREATE TRIGGER ingestion_jobs_set_updated_at BEFORE UPDATE ON ingestion_jobs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE eda_reports (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                 uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id              uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  dataset_version_id      uuid NOT NULL REFERENCES dataset_versions (id) ON DELETE CASCADE,
  status                  text NOT NULL DEFAULT 'running',
  -- Always in Postgres: rows, columns, missing %, dtypes.
  summary                 jsonb NOT NULL DEFAULT '{}',
  report_size_bytes       bigint,
  storage_location        text NOT NULL DEFAULT 'postgres',
  -- The full report when it is under 1 MiB, else in the object store at s3_key.
  full_report             jsonb,
  s3_bucket               text,
  s3_key                  text,
  report_version          text NOT NULL DEFAULT '1',
  generation_time_seconds double precision,
  error_message           text,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT eda_reports_status_check CHECK (status IN ('running', 'completed', 'failed')),
  CONSTRAINT eda_reports_storage_location_check CHECK (storage_location IN ('postgres', 's3')),
  -- A completed report kept in Postgres has its body there, and only small ones are kept there.
  CONSTRAINT eda_reports_postgres_storage_check CHECK (
    storage_location <> 'postgres'
    OR (s3_bucket IS NULL AND s3_key IS NULL
        AND (status <> 'completed' OR full_report IS NOT NULL)
        AND (report_size_bytes IS NULL OR report_size_bytes < 1048576))
  ),
  -- A report in the object store names its bucket and key and keeps no body in Postgres.
  CONSTRAINT eda_reports_s3_storage_check CHECK (
    storage_location <> 's3' OR (s3_bucket IS NOT NULL AND s3_key IS NOT NULL AND full_report IS NULL)
  ),
  CONSTRAINT eda_reports_sizes_check CHECK (
    (report_size_bytes IS NULL OR report_size_bytes >= 0) AND (generation_time_seconds IS NULL OR generation_time_seconds >= 0)
  )
);
CREATE INDEX idx_eda_dataset ON eda_reports (dataset_id);
CREATE INDEX idx_eda_version ON eda_reports (dataset_version_id);
CREATE INDEX idx_eda_summary ON eda_reports USING gin (summary);
CREATE INDEX idx_eda_status ON eda_reports (created_at) WHERE status = 'running';
CREATE TRIGGER eda_reports_set_updated_at BEFORE UPDATE ON eda_reports
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE schema_deductions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id         uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  dataset_version_id uuid REFERENCES dataset_versions (id) ON DELETE CASCADE,
  -- Column names, types and formats proposed.
  proposed_schema    jsonb NOT NULL,
  -- Per column: sample values and a confidence between 0 and 1.
  column_metadata    jsonb NOT NULL DEFAULT '{}',
  status             text NOT NULL DEFAULT 'proposed',
  confidence_score   double precision,
  deducer_version    text,
  rejection_reason   text,
  decided_by         uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT schema_deductions_status_check CHECK (status IN ('proposed', 'accepted', 'rejected', 'superseded')),
  CONSTRAINT schema_deductions_confidence_check CHECK (confidence_score IS NULL OR confidence_score BETWEEN 0 AND 1)
);
CREATE INDEX idx_schema_deductions_dataset ON schema_deductions (dataset_id);
CREATE INDEX idx_schema_deductions_version ON schema_deductions (dataset_version_id);
-- At most one accepted schema per version.
CREATE UNIQUE INDEX schema_deductions_accepted_key ON schema_deductions (dataset_version_id) WHERE status = 'accepted';
CREATE TRIGGER schema_deductions_set_updated_at BEFORE UPDATE ON schema_deductions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
