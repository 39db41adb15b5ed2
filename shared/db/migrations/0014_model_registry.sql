-- The model registry: a registered name (per owner) holds immutable integer versions 1, 2, 3, …
-- in the order its models were registered, whichever pipeline trained them; aliases
-- (`production`, `staging`, `champion`, …) point at one version of a name and move between its
-- versions. Models get a description and tags their owner edits.
--
-- Versions were numbered per pipeline before: two pipelines registering the same name, or models
-- without a pipeline, could hold the same number under one name. Those rows are renumbered past
-- the name's highest version (the oldest keeps its number), so that (user_id, name, version) is
-- unique. A model marked `stage = 'production'` becomes the `production` alias of its name (the
-- newest such model when there are several).

ALTER TABLE models
  ADD COLUMN description text,
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  ADD CONSTRAINT models_description_check CHECK (description IS NULL OR length(description) <= 2000),
  ADD CONSTRAINT models_tags_check CHECK (
    cardinality(tags) <= 50 AND coalesce(length(array_to_string(tags, '')), 0) <= 3200
  );

-- The changes below read and check every owner's rows, whatever the tables' row-level security:
-- the migration acts as the platform until its last statement gives the setting back.
SELECT set_config('pipeweave.migration_role', coalesce(current_setting('pipeweave.role', true), ''), true),
       set_config('pipeweave.role', 'admin', true);

DO $pw_registry$
BEGIN
  WITH ranked AS (
    SELECT id, user_id, name, created_at,
           row_number() OVER (PARTITION BY user_id, name, version ORDER BY created_at, id) AS duplicate,
           max(version) OVER (PARTITION BY user_id, name) AS top
      FROM models
  ), moved AS (
    SELECT id, top + row_number() OVER (PARTITION BY user_id, name ORDER BY created_at, id) AS version
      FROM ranked WHERE duplicate > 1
  )
  UPDATE models m SET version = moved.version FROM moved WHERE m.id = moved.id;

  CREATE TABLE model_aliases (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL,
    alias      text NOT NULL,
    model_id   uuid NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, name, alias),
    CONSTRAINT model_aliases_alias_check CHECK (alias ~ '^[a-z][a-z0-9_-]{0,63}$')
  );

  INSERT INTO model_aliases (user_id, name, alias, model_id, updated_at)
  SELECT DISTINCT ON (user_id, name) user_id, name, 'production', id, coalesce(deployed_at, updated_at)
    FROM models WHERE stage = 'production'
   ORDER BY user_id, name, coalesce(deployed_at, updated_at) DESC, version DESC;
END
$pw_registry$;

ALTER TABLE models
  DROP CONSTRAINT models_pipeline_version_key,
  ADD CONSTRAINT models_name_version_key UNIQUE (user_id, name, version),
  -- What an alias's foreign key names: the model, of the alias's owner and name.
  ADD CONSTRAINT models_id_owner_name_key UNIQUE (id, user_id, name);
CREATE INDEX idx_models_pipeline ON models (pipeline_id) WHERE pipeline_id IS NOT NULL;

-- An alias points at a version of its own name, and goes with it when the version is deleted.
ALTER TABLE model_aliases
  ADD CONSTRAINT model_aliases_model_fkey FOREIGN KEY (model_id, user_id, name)
    REFERENCES models (id, user_id, name) ON DELETE CASCADE;
CREATE INDEX idx_model_aliases_model ON model_aliases (model_id);
CREATE TRIGGER model_aliases_set_updated_at BEFORE UPDATE ON model_aliases
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
SELECT pipeweave_enable_tenant_rls('model_aliases');

-- Numbering per (owner, name): the next version is one past the name's highest, under a lock
-- per name so that concurrent registrations never take the same number.
CREATE OR REPLACE FUNCTION models_assign_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version IS NULL THEN
    PERFORM pg_advisory_xact_lock(1351, hashtext(NEW.user_id::text || '/' || NEW.name));
    SELECT coalesce(max(version), 0) + 1 INTO NEW.version
      FROM models WHERE user_id = NEW.user_id AND name = NEW.name;
  END IF;
  RETURN NEW;
END
$$;

-- A registered version keeps its name and number for good.
CREATE FUNCTION models_version_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR NEW.version IS DISTINCT FROM OLD.version THEN
    RAISE EXCEPTION 'a model''s name and version cannot change'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'models_version_immutable';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER models_version_immutable BEFORE UPDATE OF name, version ON models
  FOR EACH ROW EXECUTE FUNCTION models_version_immutable();

SELECT set_config('pipeweave.role', current_setting('pipeweave.migration_role'), true);
