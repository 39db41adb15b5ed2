-- What a user has read, for the tutorial steps that ask them to read something: a version's
-- profile, a job's leaderboard or results, an experiment. One row per user and resource, with the
-- first and the last time they read it; only successful reads of their own resources are recorded.
CREATE TABLE user_resource_reads (
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  resource_type text NOT NULL,
  resource_id   uuid NOT NULL,
  first_read_at timestamptz NOT NULL DEFAULT now(),
  last_read_at  timestamptz NOT NULL DEFAULT now(),
  read_count    integer NOT NULL DEFAULT 1,
  PRIMARY KEY (user_id, resource_type, resource_id),
  CONSTRAINT user_resource_reads_resource_type_check
    CHECK (resource_type IN ('profile', 'leaderboard', 'experiment', 'jobResults')),
  CONSTRAINT user_resource_reads_read_count_check CHECK (read_count >= 1)
);
SELECT pipeweave_enable_tenant_rls('user_resource_reads');
