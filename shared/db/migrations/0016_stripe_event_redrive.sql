-- Re-drive of Stripe events. An event recorded as `received` (never decided) or `failed` (e.g. a
-- refund that arrived before the purchase it takes back) is applied again by the daily billing
-- sweep until it applies, or is given up: at once when its failure cannot change (an unknown
-- credit package, a malformed event), otherwise after a bounded number of attempts or age.
-- A given-up event keeps status `failed` and says why in give_up_reason.

ALTER TABLE stripe_events
  ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
  ADD COLUMN last_attempt_at timestamptz,
  ADD COLUMN gave_up_at      timestamptz,
  ADD COLUMN give_up_reason  text,
  ADD CONSTRAINT stripe_events_attempts_check CHECK (attempts >= 0),
  ADD CONSTRAINT stripe_events_give_up_check CHECK (
    (gave_up_at IS NULL) = (give_up_reason IS NULL) AND (gave_up_at IS NULL OR status = 'failed')
  );

-- What the re-drive looks for: events still waiting, oldest first.
DROP INDEX idx_stripe_events_unprocessed;
CREATE INDEX idx_stripe_events_redrive ON stripe_events (created_at)
  WHERE status IN ('received', 'failed') AND gave_up_at IS NULL;

-- Events decided before this migration were attempted once. stripe_events is under row-level
-- security: the backfill acts as the platform until its last statement gives the setting back.
SELECT set_config('pipeweave.migration_role', coalesce(current_setting('pipeweave.role', true), ''), true),
       set_config('pipeweave.role', 'admin', true);

UPDATE stripe_events
   SET attempts = 1, last_attempt_at = coalesce(processed_at, updated_at)
 WHERE status <> 'received';

SELECT set_config('pipeweave.role', current_setting('pipeweave.migration_role'), true);
