-- Pipeline templates: starting pipelines that ship as reference data (seedReferenceData upserts
-- them by template_key). They belong to no user, every signed-in user may read and clone them,
-- and nobody changes them through the API.

ALTER TABLE pipelines ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE pipelines ADD COLUMN template_key text;
ALTER TABLE pipelines ADD CONSTRAINT pipelines_template_key_key UNIQUE (template_key);
ALTER TABLE pipelines ADD CONSTRAINT pipelines_owner_check CHECK (user_id IS NOT NULL OR is_template);
ALTER TABLE pipelines ADD CONSTRAINT pipelines_template_key_check CHECK (
  template_key IS NULL
  OR (is_template AND user_id IS NULL AND template_key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$')
);

-- Row-level security: the tenant policy keeps a user to their own pipelines; this permissive
-- policy adds read access (only) to the live shipped templates. Writes still need the tenant
-- policy, which a row without an owner never satisfies for a non-admin.
CREATE POLICY templates_readable ON pipelines FOR SELECT
  USING (is_template AND user_id IS NULL AND deleted_at IS NULL);
