-- Monitoring runs: analyses run as jobs (their full configuration, the baseline model, the plot),
-- the seed's dinsight_data (map coordinates per baseline) and monitor_data (monitored positions and
-- scores, in process order), datasets bound to a baseline for automatic monitoring, alert-rule
-- webhook secrets and the delivery log of alert actions.

ALTER TABLE analyses
  ADD COLUMN config           jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN model_object_key text,
  ADD COLUMN plot_object_key  text,
  ADD CONSTRAINT analyses_config_check CHECK (jsonb_typeof(config) = 'object');
-- A version is monitored once against a baseline (automatic monitoring relies on it).
CREATE UNIQUE INDEX analyses_monitoring_once ON analyses (baseline_analysis_id, dataset_version_id)
  WHERE analysis_type = 'monitoring';
CREATE INDEX idx_analyses_job ON analyses (job_id);

CREATE TABLE dinsight_data (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  analysis_id uuid NOT NULL UNIQUE REFERENCES analyses (id) ON DELETE CASCADE,
  x_values    double precision[] NOT NULL,
  y_values    double precision[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dinsight_data_lengths_check CHECK (cardinality(x_values) = cardinality(y_values))
);
CREATE INDEX idx_dinsight_data_user ON dinsight_data (user_id);
SELECT pipeweave_enable_tenant_rls('dinsight_data');

CREATE TABLE monitor_data (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dinsight_id    uuid NOT NULL REFERENCES dinsight_data (id) ON DELETE CASCADE,
  -- The monitoring analysis that produced these points.
  analysis_id    uuid NOT NULL UNIQUE REFERENCES analyses (id) ON DELETE CASCADE,
  -- The severity (nearest-baseline distance ÷ threshold) of each point, in row order.
  monitor_values double precision[] NOT NULL,
  x_values       double precision[] NOT NULL,
  y_values       double precision[] NOT NULL,
  metadata       jsonb,
  -- 1, 2, 3, … per baseline: the order monitored versions were processed in.
  process_order  integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT monitor_data_lengths_check CHECK (
    cardinality(x_values) = cardinality(y_values) AND cardinality(x_values) = cardinality(monitor_values)
  ),
  CONSTRAINT monitor_data_order_unique UNIQUE (dinsight_id, process_order)
);
CREATE INDEX idx_monitor_data_user ON monitor_data (user_id);
CREATE INDEX idx_monitor_data_process_order ON monitor_data (dinsight_id, process_order);
SELECT pipeweave_enable_tenant_rls('monitor_data');

CREATE TABLE monitoring_bindings (
  dataset_id  uuid PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  analysis_id uuid NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_monitoring_bindings_user ON monitoring_bindings (user_id);
CREATE INDEX idx_monitoring_bindings_analysis ON monitoring_bindings (analysis_id);
SELECT pipeweave_enable_tenant_rls('monitoring_bindings');

ALTER TABLE alert_rules ADD COLUMN webhook_secret text;

CREATE TABLE alert_deliveries (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  alert_id     uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  action       text NOT NULL,
  target       text NOT NULL,
  attempt      integer NOT NULL,
  ok           boolean NOT NULL,
  status_code  integer,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_deliveries_action_check CHECK (action IN ('webhook', 'sns')),
  CONSTRAINT alert_deliveries_attempt_check CHECK (attempt >= 1)
);
CREATE INDEX idx_alert_deliveries_alert ON alert_deliveries (alert_id, created_at);
CREATE INDEX idx_alert_deliveries_user ON alert_deliveries (user_id);
SELECT pipeweave_enable_tenant_rls('alert_deliveries');
