-- Exports (seed 000's exports table: type, file path, size, metadata): a dataset version or the
-- output of a job's node written out in a file layout (CSV, JSON, JSON Lines, Parquet, Hugging
-- Face, PyTorch, TensorFlow) under exports/{user}/{export}/, produced by the exports worker.
--
-- The table exists since 0003 (format = the seed's export_type, object_key = its file_path,
-- file_size_bytes = its file_size) and already has the tenant policy of 0007 (it has user_id),
-- so this migration extends it rather than making another one.
--
-- An export goes queued → running → completed | failed. It is completed only with everything a
-- download needs (the prefix, the size and each file with its bytes and SHA-256); a retried or
-- swept attempt never leaves a half-written export marked completed.

ALTER TABLE exports
  DROP CONSTRAINT exports_status_check,
  DROP CONSTRAINT exports_format_check,
  -- The output port of the node when the source is a job's output.
  ADD COLUMN port              text,
  -- What the user asked for (file name, CSV formula neutralising, label and split columns, …).
  ADD COLUMN options           jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN progress          smallint NOT NULL DEFAULT 0,
  -- The files of a completed export: [{ relativePath, bytes, sha256, rows?, contentType }].
  ADD COLUMN files             jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN row_count         bigint,
  -- Attempts the worker made; the last attempt's heartbeat (a live attempt is not claimed twice).
  ADD COLUMN attempts          integer NOT NULL DEFAULT 0,
  ADD COLUMN heartbeat_at      timestamptz,
  ADD COLUMN started_at        timestamptz,
  -- Credits held when the export was created (`export-reserve:<id>`) and finally charged.
  ADD COLUMN credits_reserved  integer NOT NULL DEFAULT 0,
  ADD COLUMN credits_charged   integer,
  -- A stable code beside error_message (EXPORT.FAILED, EXPORT.INVALID_OPTIONS, …).
  ADD COLUMN error_code        text;

UPDATE exports SET status = 'queued' WHERE status = 'pending';
ALTER TABLE exports
  ALTER COLUMN status SET DEFAULT 'queued',
  ADD CONSTRAINT exports_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  ADD CONSTRAINT exports_format_check CHECK (
    format IN ('csv', 'json', 'jsonl', 'parquet', 'huggingface', 'pytorch', 'tensorflow')
  ),
  ADD CONSTRAINT exports_progress_check CHECK (progress BETWEEN 0 AND 100),
  ADD CONSTRAINT exports_row_count_check CHECK (row_count IS NULL OR row_count >= 0),
  ADD CONSTRAINT exports_credits_check CHECK (
    credits_reserved >= 0 AND (credits_charged IS NULL OR credits_charged BETWEEN 0 AND credits_reserved)
  ),
  ADD CONSTRAINT exports_port_check CHECK (port IS NULL OR port ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  -- Rows written before this migration are left as they are; new and changed rows are checked.
  ADD CONSTRAINT exports_source_check CHECK (
    (dataset_version_id IS NOT NULL AND job_id IS NULL AND node_id IS NULL AND port IS NULL)
    OR (dataset_version_id IS NULL AND job_id IS NOT NULL AND node_id IS NOT NULL AND port IS NOT NULL)
  ) NOT VALID,
  ADD CONSTRAINT exports_completed_check CHECK (
    status <> 'completed' OR (
      object_key IS NOT NULL AND file_size_bytes IS NOT NULL AND completed_at IS NOT NULL
      AND jsonb_typeof(files) = 'array' AND jsonb_array_length(files) > 0 AND progress = 100
    )
  ) NOT VALID;

-- GET /exports pages newest first, optionally by status or format.
DROP INDEX idx_exports_user;
CREATE INDEX idx_exports_user_page ON exports (user_id, created_at DESC, id DESC);
-- The sweep finds exports whose worker went quiet.
CREATE INDEX idx_exports_unfinished ON exports (updated_at) WHERE status IN ('queued', 'running');

-- A foreign key does not look through the tenant policy: an export's source is its owner's own.
CREATE FUNCTION exports_same_owner_source() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.dataset_version_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM dataset_versions WHERE id = NEW.dataset_version_id AND user_id = NEW.user_id) THEN
    RAISE EXCEPTION 'dataset version % is not one of the export owner''s', NEW.dataset_version_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'exports_dataset_version_id_fkey';
  END IF;
  IF NEW.job_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = NEW.job_id AND user_id = NEW.user_id) THEN
    RAISE EXCEPTION 'job % is not one of the export owner''s', NEW.job_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'exports_job_id_fkey';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER exports_same_owner_source
  BEFORE INSERT OR UPDATE OF dataset_version_id, job_id, user_id ON exports
  FOR EACH ROW EXECUTE FUNCTION exports_same_owner_source();
