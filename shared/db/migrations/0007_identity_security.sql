-- Row-level security: defence in depth under the repositories' own `where user_id = …`.
--
-- The application does its tenant work as `pipeweave_app` (shared/db/tenant.ts runs
-- `SET LOCAL ROLE pipeweave_app` inside each transaction). That role owns nothing, so the policies
-- below always apply to it; FORCE ROW LEVEL SECURITY makes them apply to the owner too. The
-- tenant is read from transaction-local settings: `pipeweave.user_id` (a uuid) and
-- `pipeweave.role` ('admin' sees every row; system scope uses it too).

-- Roles belong to the cluster, not to one database: several databases of one cluster (test
-- clones, a second environment) run this migration, possibly at the same time.
DO $pw_role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pipeweave_app') THEN
    BEGIN
      CREATE ROLE pipeweave_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END
$pw_role$;

-- The login user (on Aurora the master user, who is not a superuser) must be a member to
-- `SET ROLE pipeweave_app`.
GRANT pipeweave_app TO CURRENT_USER;

CREATE FUNCTION pipeweave_current_user_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('pipeweave.user_id', true), '')::uuid
$$;

CREATE FUNCTION pipeweave_is_admin() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('pipeweave.role', true) = 'admin', false)
$$;

-- Enables tenant isolation on a table with a `user_id` column. Later migrations that add a
-- tenant-owned table call it: `SELECT pipeweave_enable_tenant_rls('my_table');`.
CREATE FUNCTION pipeweave_enable_tenant_rls(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (user_id = pipeweave_current_user_id() OR pipeweave_is_admin()) '
    'WITH CHECK (user_id = pipeweave_current_user_id() OR pipeweave_is_admin())',
    target
  );
END
$$;

DO $pw_rls$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.table_name
      FROM information_schema.columns c
      JOIN information_schema.tables tb
        ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.column_name = 'user_id'
  LOOP
    PERFORM pipeweave_enable_tenant_rls(format('%I', t.table_name)::regclass);
  END LOOP;
END
$pw_rls$;

-- A user sees and changes only their own row.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (id = pipeweave_current_user_id() OR pipeweave_is_admin())
  WITH CHECK (id = pipeweave_current_user_id() OR pipeweave_is_admin());

DO $pw_grants$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO pipeweave_app', current_schema());
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO pipeweave_app', current_schema());
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO pipeweave_app', current_schema());
  -- Tables created later by the migration user are granted the same way.
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pipeweave_app',
    current_schema()
  );
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO pipeweave_app',
    current_schema()
  );
END
$pw_grants$;

-- The application never touches the migration history, and the audit trail is append-only.
REVOKE ALL ON schema_migrations FROM pipeweave_app;
REVOKE UPDATE, DELETE ON audit_logs FROM pipeweave_app;

-- Refresh-token lookups are by hash (unique index exists); API keys by prefix (unique index
-- exists). Audit listing filters by actor and time, newest first.
CREATE INDEX idx_audit_logs_user_created ON audit_logs (user_id, created_at DESC, id DESC);
-- The purge sweep finds accounts soft-deleted long enough ago.
CREATE INDEX idx_users_deleted_at ON users (deleted_at) WHERE deleted_at IS NOT NULL;
