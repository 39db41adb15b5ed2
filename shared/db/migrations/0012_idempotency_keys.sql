-- Idempotency-Key for POSTs that create: the first response to a (user, operation, key) is
-- stored and replayed to a retry with the same request; the same key with another request is a
-- conflict. A row is "in_progress" while its first request runs (a concurrent retry is told so);
-- one left behind by a crashed request is taken over after a short lease. Keys expire after 24 h.
CREATE TABLE idempotency_keys (
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  operation        text NOT NULL,
  key              text NOT NULL,
  request_hash     text NOT NULL,
  status           text NOT NULL DEFAULT 'in_progress',
  response_status  integer,
  response_headers jsonb,
  response_body    jsonb,
  locked_at        timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, operation, key),
  CONSTRAINT idempotency_keys_status_check CHECK (status IN ('in_progress', 'completed')),
  CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 255),
  CONSTRAINT idempotency_keys_response_check CHECK (
    (status = 'in_progress') OR (response_status IS NOT NULL AND response_headers IS NOT NULL)
  )
);
CREATE INDEX idx_idempotency_keys_expires ON idempotency_keys (expires_at);
SELECT pipeweave_enable_tenant_rls('idempotency_keys');
