-- Ingestion progress: the worker reports a percentage and the stage it is in, read back on the
-- version (GET /datasets/{id}/versions/{n}).
ALTER TABLE ingestion_jobs
  ADD COLUMN progress_percent smallint NOT NULL DEFAULT 0,
  ADD COLUMN stage text,
  ADD CONSTRAINT ingestion_jobs_progress_check CHECK (progress_percent BETWEEN 0 AND 100);
