-- Identity and access: users, refresh tokens, API keys, audit trail.
-- Every tenant-owned table in this schema carries user_id so row-level security can be added.

-- updated_at follows every UPDATE of the tables that have the column.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email               text NOT NULL,
  password_hash       text NOT NULL,
  full_name           text NOT NULL DEFAULT '',
  role                text NOT NULL DEFAULT 'user',
  tier                text NOT NULL DEFAULT 'free',
  -- Written only by the credit ledger trigger (see 0005_billing.sql).
  credit_balance      bigint NOT NULL DEFAULT 0,
  is_active           boolean NOT NULL DEFAULT true,
  email_verified      boolean NOT NULL DEFAULT false,
  failed_login_count  integer NOT NULL DEFAULT 0,
  locked_until        timestamptz,
  last_login_at       timestamptz,
  password_changed_at timestamptz,
  -- Maintained by triggers on datasets, pipelines, models and dataset_versions.
  dataset_count       integer NOT NULL DEFAULT 0,
  pipeline_count      integer NOT NULL DEFAULT 0,
  model_count         integer NOT NULL DEFAULT 0,
  storage_used_bytes  bigint NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz,
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_lower_case CHECK (email = lower(email) AND position('@' IN email) > 1),
  CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
  CONSTRAINT users_tier_check CHECK (tier IN ('free', 'pro', 'enterprise')),
  CONSTRAINT users_credit_balance_non_negative CHECK (credit_balance >= 0),
  CONSTRAINT users_failed_login_count_check CHECK (failed_login_count >= 0),
  CONSTRAINT users_counters_non_negative CHECK (
    dataset_count >= 0 AND pipeline_count >= 0 AND model_count >= 0 AND storage_used_bytes >= 0
  )
);
CREATE INDEX idx_users_active ON users (created_at) WHERE is_active AND deleted_at IS NULL;
CREATE INDEX idx_users_role ON users (role);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE refresh_tokens (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Only a hash of the token is stored.
  token_hash     text NOT NULL,
  -- All tokens of one login share a family; reuse of a rotated token revokes the family.
  family_id      uuid NOT NULL,
  replaced_by_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text,
  user_agent     text,
  ip_address     inet,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
  CONSTRAINT refresh_tokens_revoked_reason_check CHECK (
    revoked_reason IS NULL OR revoked_reason IN ('rotated', 'logout', 'reuse_detected', 'password_changed', 'admin')
  )
);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE TRIGGER refresh_tokens_set_updated_at BEFORE UPDATE ON refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  -- The visible start of the key (lookup); the secret part is stored only as a hash.
  prefix       text NOT NULL,
  key_hash     text NOT NULL,
  scopes       text[] NOT NULL DEFAULT '{}',
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_keys_prefix_key UNIQUE (prefix),
  CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
  CONSTRAINT api_keys_name_check CHECK (length(name) BETWEEN 1 AND 200)
);
CREATE INDEX idx_api_keys_user ON api_keys (user_id) WHERE revoked_at IS NULL;
CREATE TRIGGER api_keys_set_updated_at BEFORE UPDATE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE audit_logs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The actor; NULL for actions taken by the platform itself.
  user_id       uuid REFERENCES users (id) ON DELETE SET NULL,
  action        text NOT NULL,
  resource_type text,
  resource_id   text,
  changes       jsonb,
  ip_address    inet,
  user_agent    text,
  request_id    text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_logs_user ON audit_logs (user_id);
CREATE INDEX idx_audit_logs_action ON audit_logs (action);
CREATE INDEX idx_audit_logs_resource ON audit_logs (resource_type, resource_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs (created_at DESC);
