-- The ledger's trigger locks the user's row to serialize balance changes. It took FOR UPDATE,
-- which also conflicts with the KEY SHARE lock every insert referencing the user takes for its
-- foreign key (a job, a snapshot): two transactions of one user that each inserted such a row and
-- then wrote a ledger entry deadlocked. FOR NO KEY UPDATE serializes balance changes just the
-- same and leaves foreign-key checks alone (the balance update itself is a non-key update).
CREATE OR REPLACE FUNCTION credit_transactions_compute_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  current_balance bigint;
BEGIN
  SELECT credit_balance INTO current_balance FROM users WHERE id = NEW.user_id FOR NO KEY UPDATE;
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
