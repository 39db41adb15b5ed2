-- Tutorials that check themselves: each step's completion is recorded with the resource of the
-- user's that completed it, and restarting a tutorial keeps the earlier attempt.

-- The current attempt: which steps are done, by which resource, and when.
--   [{"step": "<step key>", "resourceType": "dataset", "resourceId": "<uuid>", "label": "…", "completedAt": "<iso>"}]
ALTER TABLE user_tutorial_progress
  ADD COLUMN attempt integer NOT NULL DEFAULT 1,
  ADD COLUMN completed_steps jsonb NOT NULL DEFAULT '[]',
  ADD CONSTRAINT user_tutorial_progress_attempt_check CHECK (attempt >= 1),
  ADD CONSTRAINT user_tutorial_progress_completed_steps_check CHECK (jsonb_typeof(completed_steps) = 'array');

-- Earlier attempts, kept when a tutorial is started again.
CREATE TABLE user_tutorial_attempts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tutorial_id     uuid NOT NULL REFERENCES tutorials (id) ON DELETE CASCADE,
  attempt         integer NOT NULL,
  status          text NOT NULL,
  current_step    integer NOT NULL,
  completed_steps jsonb NOT NULL DEFAULT '[]',
  started_at      timestamptz,
  completed_at    timestamptz,
  ended_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_tutorial_attempts_key UNIQUE (user_id, tutorial_id, attempt),
  CONSTRAINT user_tutorial_attempts_status_check CHECK (status IN ('not_started', 'in_progress', 'completed'))
);
CREATE INDEX idx_user_tutorial_attempts_tutorial ON user_tutorial_attempts (tutorial_id);
SELECT pipeweave_enable_tenant_rls('user_tutorial_attempts');
