-- Online predictions are metered into the credit ledger per 1,000 rows: each user's running count
-- of rows predicted and how many thousands of them have been billed. A call that completes a
-- thousand writes one `consumption` entry (key `predict:<user id>:<thousands billed>`), so a
-- thousand rows are billed once whatever races.
CREATE TABLE prediction_usage (
  user_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  rows_predicted   bigint NOT NULL DEFAULT 0,
  thousands_billed bigint NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prediction_usage_rows_check CHECK (rows_predicted >= 0 AND thousands_billed >= 0),
  CONSTRAINT prediction_usage_billed_check CHECK (thousands_billed <= rows_predicted / 1000)
);
SELECT pipeweave_enable_tenant_rls('prediction_usage');
