-- Learning: tutorials and each user's progress through them.

CREATE TABLE tutorials (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug              text NOT NULL,
  title             text NOT NULL,
  description       text NOT NULL DEFAULT '',
  modality          text,
  difficulty        text NOT NULL DEFAULT 'beginner',
  -- Ordered steps: [{"title", "body", "action"?}, ...]
  content           jsonb NOT NULL DEFAULT '[]',
  estimated_minutes integer,
  sort_order        integer NOT NULL DEFAULT 0,
  is_published      boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tutorials_slug_key UNIQUE (slug),
  CONSTRAINT tutorials_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  CONSTRAINT tutorials_modality_check CHECK (
    modality IS NULL OR modality IN ('tabular', 'text', 'image', 'audio', 'video', 'timeseries', 'seismic', 'multimodal')
  ),
  CONSTRAINT tutorials_difficulty_check CHECK (difficulty IN ('beginner', 'intermediate', 'advanced')),
  CONSTRAINT tutorials_content_check CHECK (jsonb_typeof(content) = 'array'),
  CONSTRAINT tutorials_estimated_minutes_check CHECK (estimated_minutes IS NULL OR estimated_minutes > 0)
);
CREATE TRIGGER tutorials_set_updated_at BEFORE UPDATE ON tutorials
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_tutorial_progress (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tutorial_id  uuid NOT NULL REFERENCES tutorials (id) ON DELETE CASCADE,
  status       text NOT NULL DEFAULT 'not_started',
  current_step integer NOT NULL DEFAULT 0,
  started_at   timestamptz,
  completed_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_tutorial_progress_user_tutorial_key UNIQUE (user_id, tutorial_id),
  CONSTRAINT user_tutorial_progress_status_check CHECK (status IN ('not_started', 'in_progress', 'completed')),
  CONSTRAINT user_tutorial_progress_current_step_check CHECK (current_step >= 0)
);
CREATE INDEX idx_user_tutorial_progress_tutorial ON user_tutorial_progress (tutorial_id);
CREATE TRIGGER user_tutorial_progress_set_updated_at BEFORE UPDATE ON user_tutorial_progress
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
