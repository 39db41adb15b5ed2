-- Billing: credit packages, the immutable credit ledger, Stripe webhook events.

CREATE TABLE credit_packages (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key              text NOT NULL,
  name             text NOT NULL,
  description      text NOT NULL DEFAULT '',
  credits          bigint NOT NULL,
  price_cents      integer NOT NULL,
  currency         text NOT NULL DEFAULT 'usd',
  -- NULL until the Stripe price is configured; Checkout refuses such packages.
  stripe_price_id  text,
  is_active        boolean NOT NULL DEFAULT true,
  tier_restriction text NOT NULL DEFAULT 'none',
  sort_order       integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT credit_packages_key_key UNIQUE (key),
  CONSTRAINT credit_packages_stripe_price_id_key UNIQUE (stripe_price_id),
  CONSTRAINT credit_packages_credits_check CHECK (credits > 0),
  CONSTRAINT credit_packages_price_check CHECK (price_cents >= 0),
  CONSTRAINT credit_packages_currency_check CHECK (currency ~ '^[a-z]{3}$'),
  CONSTRAINT credit_packages_tier_restriction_check CHECK (tier_restriction IN ('none', 'pro_only', 'enterprise_only'))
);
CREATE TRIGGER credit_packages_set_updated_at BEFORE UPDATE ON credit_packages
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE credit_transactions (
  id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- A user with ledger history cannot be hard-deleted: the ledger is kept.
  user_id                    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  type                       text NOT NULL,
  -- Signed: credits in are positive, credits out negative.
  amount                     bigint NOT NULL,
  -- Computed by the trigger below; any value given on insert is replaced.
  balance_after              bigint NOT NULL DEFAULT 0,
  description                text,
  job_id                     uuid REFERENCES jobs (id) ON DELETE RESTRICT,
  package_id                 uuid REFERENCES credit_packages (id) ON DELETE RESTRICT,
  stripe_checkout_session_id text,
  stripe_payment_intent_id   text,
  stripe_refund_id           text,
  stripe_dispute_id          text,
  -- Every ledger write is idempotent: callers namespace keys, e.g. `job:<id>:charge`.
  idempotency_key            text NOT NULL,
  -- The admin (or NULL for the platform) who wrote a grant or an adjustment.
  created_by                 uuid REFERENCES users (id) ON DELETE RESTRICT,
  metadata                   jsonb NOT NULL DEFAULT '{}',
  created_at                 timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT credit_transactions_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT credit_transactions_stripe_checkout_session_id_key UNIQUE (stripe_checkout_session_id),
  CONSTRAINT credit_transactions_stripe_refund_id_key UNIQUE (stripe_refund_id),
  CONSTRAINT credit_transactions_type_check CHECK (
    type IN ('purchase', 'consumption', 'refund', 'adjustment', 'grant')
  ),
  -- purchase, grant and refund add credits, consumption takes them, adjustments go either way.
  CONSTRAINT credit_transactions_amount_sign_check CHECK (
    amount <> 0 AND (
      (type IN ('purchase', 'grant', 'refund') AND amount > 0)
      OR (type = 'consumption' AND amount < 0)
      OR type = 'adjustment'
    )
  ),
  CONSTRAINT credit_transactions_balance_after_check CHECK (balance_after >= 0),
  CONSTRAINT credit_transactions_purchase_check CHECK (type <> 'purchase' OR package_id IS NOT NULL)
);
-- One purchase per payment; refunds and disputes of that payment are separate adjustments.
CREATE UNIQUE INDEX credit_transactions_stripe_payment_intent_id_key ON credit_transactions (stripe_payment_intent_id)
  WHERE type = 'purchase';
CREATE INDEX idx_credit_transactions_user ON credit_transactions (user_id, created_at DESC);
CREATE INDEX idx_credit_transactions_job ON credit_transactions (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX idx_credit_transactions_package ON credit_transactions (package_id) WHERE package_id IS NOT NULL;

-- BEFORE INSERT: lock the user row so concurrent ledger writes for one user serialize, compute
-- balance_after and refuse a balance below zero. The balance itself is written AFTER INSERT, so
-- a row skipped by INSERT … ON CONFLICT DO NOTHING (BEFORE triggers run before the conflict is
-- detected) never changes the balance.
CREATE FUNCTION credit_transactions_compute_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  current_balance bigint;
BEGIN
  SELECT credit_balance INTO current_balance FROM users WHERE id = NEW.user_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'user % does not exist', NEW.user_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'credit_transactions_user_id_fkey';
  END IF;
  IF current_balance + NEW.amount < 0 THEN
    RAISE EXCEPTION 'insufficient credits: balance is %, % requested', current_balance, -NEW.amount
      USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_transactions_balance_after_check',
            DETAIL = format('balance=%s amount=%s', current_balance, NEW.amount);
  END IF;
  NEW.balance_after := current_balance + NEW.amount;
  NEW.created_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER credit_transactions_compute_balance BEFORE INSERT ON credit_transactions
  FOR EACH ROW EXECUTE FUNCTION credit_transactions_compute_balance();

CREATE FUNCTION credit_transactions_apply_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  applied bigint;
BEGIN
  PERFORM set_config('pipeweave.ledger_write', 'on', true);
  UPDATE users SET credit_balance = credit_balance + NEW.amount WHERE id = NEW.user_id
    RETURNING credit_balance INTO applied;
  PERFORM set_config('pipeweave.ledger_write', 'off', true);
  -- Two rows for one user in a single INSERT statement would both have been computed from the
  -- same starting balance.
  IF applied IS DISTINCT FROM NEW.balance_after THEN
    RAISE EXCEPTION 'write ledger rows of one user one statement at a time (balance_after % but balance %)',
      NEW.balance_after, applied USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER credit_transactions_apply_balance AFTER INSERT ON credit_transactions
  FOR EACH ROW EXECUTE FUNCTION credit_transactions_apply_balance();

CREATE FUNCTION credit_transactions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_transactions is an append-only ledger: % is not allowed', TG_OP
    USING ERRCODE = 'object_not_in_prerequisite_state',
          HINT = 'Write a compensating adjustment or refund instead.';
END
$$;
CREATE TRIGGER credit_transactions_no_update_delete BEFORE UPDATE OR DELETE ON credit_transactions
  FOR EACH ROW EXECUTE FUNCTION credit_transactions_append_only();
CREATE TRIGGER credit_transactions_no_truncate BEFORE TRUNCATE ON credit_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION credit_transactions_append_only();

-- users.credit_balance is the ledger's running total: only the ledger trigger may change it.
CREATE FUNCTION users_guard_credit_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.credit_balance <> 0
     OR TG_OP = 'UPDATE' AND NEW.credit_balance IS DISTINCT FROM OLD.credit_balance
        AND current_setting('pipeweave.ledger_write', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'users.credit_balance is maintained by the credit ledger; insert into credit_transactions instead'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'users_credit_balance_ledger_only';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER users_guard_credit_balance BEFORE INSERT OR UPDATE OF credit_balance ON users
  FOR EACH ROW EXECUTE FUNCTION users_guard_credit_balance();

CREATE TABLE stripe_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  stripe_event_id text NOT NULL,
  type            text NOT NULL,
  livemode        boolean NOT NULL DEFAULT false,
  -- The user the event concerns, when it could be resolved.
  user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'received',
  error_message   text,
  processed_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stripe_events_stripe_event_id_key UNIQUE (stripe_event_id),
  CONSTRAINT stripe_events_status_check CHECK (status IN ('received', 'processed', 'failed', 'ignored'))
);
CREATE INDEX idx_stripe_events_user ON stripe_events (user_id);
CREATE INDEX idx_stripe_events_unprocessed ON stripe_events (created_at) WHERE status IN ('received', 'failed');
CREATE TRIGGER stripe_events_set_updated_at BEFORE UPDATE ON stripe_events
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
