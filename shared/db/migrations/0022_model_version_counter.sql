-- A registered name's version numbers are never reused: numbering used the name's highest
-- remaining version, so deleting the newest version gave its number to the next registration,
-- and `name v3` could name two different models over time. Each (owner, name) now keeps the last
-- number it handed out; the counter row's lock serializes concurrent registrations of one name.
CREATE TABLE model_name_versions (
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  last_version integer NOT NULL,
  PRIMARY KEY (user_id, name),
  CONSTRAINT model_name_versions_last_version_check CHECK (last_version >= 1)
);
SELECT pipeweave_enable_tenant_rls('model_name_versions');

-- Counters start where every owner's names stand today (reading all owners' rows as the platform).
SELECT set_config('pipeweave.migration_role', coalesce(current_setting('pipeweave.role', true), ''), true),
       set_config('pipeweave.role', 'admin', true);
INSERT INTO model_name_versions (user_id, name, last_version)
SELECT user_id, name, max(version) FROM models GROUP BY user_id, name;
SELECT set_config('pipeweave.role', current_setting('pipeweave.migration_role'), true);

CREATE OR REPLACE FUNCTION models_assign_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  existing integer;
BEGIN
  -- A retried registration of a model that exists inserts nothing (ON CONFLICT): it takes no
  -- new number either, only the one it has (NOT NULL is checked before the conflict is).
  SELECT version INTO existing FROM models WHERE id = NEW.id;
  IF FOUND THEN
    NEW.version := existing;
    RETURN NEW;
  END IF;
  IF NEW.version IS NULL THEN
    INSERT INTO model_name_versions AS counter (user_id, name, last_version)
    VALUES (NEW.user_id, NEW.name, 1)
    ON CONFLICT (user_id, name) DO UPDATE SET last_version = counter.last_version + 1
    RETURNING last_version INTO NEW.version;
  ELSE
    -- A number given explicitly is kept; later ones come after it.
    INSERT INTO model_name_versions AS counter (user_id, name, last_version)
    VALUES (NEW.user_id, NEW.name, NEW.version)
    ON CONFLICT (user_id, name) DO UPDATE SET last_version = greatest(counter.last_version, EXCLUDED.last_version);
  END IF;
  RETURN NEW;
END
$$;
