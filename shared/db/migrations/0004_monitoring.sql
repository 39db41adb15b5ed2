-- Monitoring: analyses of dataset versions (dimensionality reduction, monitoring projection,
-- anomaly detection) with their configuration, anomalies, alert rules and alerts.

CREATE TABLE analyses (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id             uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  dataset_version_id     uuid NOT NULL REFERENCES dataset_versions (id) ON DELETE CASCADE,
  -- A monitoring projection is made against the baseline analysis it extends.
  baseline_analysis_id   uuid REFERENCES analyses (id) ON DELETE SET NULL,
  job_id                 uuid REFERENCES jobs (id) ON DELETE SET NULL,
  analysis_type          text NOT NULL,
  status                 text NOT NULL DEFAULT 'pending',
  -- Configuration of the projection, stored per analysis. Editable by the user:
  gamma0                 double precision NOT NULL DEFAULT 1e-7,
  optimizer              text NOT NULL DEFAULT 'adam',
  alpha                  double precision NOT NULL DEFAULT 0.1,
  end_meta               text NOT NULL DEFAULT 'participant',
  start_dim              text NOT NULL DEFAULT 'f_0',
  end_dim                text NOT NULL DEFAULT 'f_1023',
  -- Set by the platform:
  imax                   integer NOT NULL DEFAULT 1000,
  lowdim                 integer NOT NULL DEFAULT 2,
  eta                    double precision NOT NULL DEFAULT 0.5,
  epsilon                double precision NOT NULL DEFAULT 1e-8,
  beta1                  double precision NOT NULL DEFAULT 0.9,
  beta2                  double precision NOT NULL DEFAULT 0.999,
  beta                   double precision NOT NULL DEFAULT 0.5,
  a                      double precision NOT NULL DEFAULT 0.8,
  w1                     double precision NOT NULL DEFAULT 0.04,
  w2                     double precision NOT NULL DEFAULT 1,
  which_w1               text NOT NULL DEFAULT 'auto',
  mode                   text NOT NULL DEFAULT 'kanadaSan',
  param_mode             double precision NOT NULL DEFAULT 0.3,
  -- Coordinates live as Parquet in the object store; the summary stays here.
  coordinates_object_key text,
  summary                jsonb NOT NULL DEFAULT '{}',
  error_message          text,
  started_at             timestamptz,
  completed_at           timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT analyses_analysis_type_check CHECK (
    analysis_type IN ('dimensionality_reduction', 'monitoring', 'anomaly_detection')
  ),
  CONSTRAINT analyses_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  CONSTRAINT analyses_optimizer_check CHECK (optimizer IN ('adam', 'sgd')),
  CONSTRAINT analyses_parameters_check CHECK (
    gamma0 > 0 AND alpha > 0 AND imax > 0 AND lowdim > 0 AND eta > 0 AND epsilon > 0
    AND beta1 >= 0 AND beta1 < 1 AND beta2 >= 0 AND beta2 < 1
    AND length(start_dim) > 0 AND length(end_dim) > 0 AND length(which_w1) > 0 AND length(mode) > 0
  ),
  CONSTRAINT analyses_baseline_check CHECK (baseline_analysis_id IS DISTINCT FROM id)
);
CREATE INDEX idx_analyses_dataset ON analyses (dataset_id);
CREATE INDEX idx_analyses_version ON analyses (dataset_version_id);
CREATE INDEX idx_analyses_user ON analyses (user_id);
CREATE INDEX idx_analyses_status ON analyses (status);
CREATE INDEX idx_analyses_created_at ON analyses (created_at DESC);
CREATE TRIGGER analyses_set_updated_at BEFORE UPDATE ON analyses
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE anomalies (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  analysis_id     uuid NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
  dataset_id      uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  -- When the anomalous observation happened (the seed's `timestamp`).
  observed_at     timestamptz NOT NULL,
  row_index       bigint,
  severity        text NOT NULL,
  distance        double precision NOT NULL,
  threshold       double precision NOT NULL,
  features        jsonb NOT NULL,
  metadata        jsonb,
  acknowledged    boolean NOT NULL DEFAULT false,
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  acknowledged_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT anomalies_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT anomalies_acknowledged_check CHECK (acknowledged OR acknowledged_at IS NULL)
);
CREATE INDEX idx_anomalies_analysis ON anomalies (analysis_id);
CREATE INDEX idx_anomalies_dataset ON anomalies (dataset_id);
CREATE INDEX idx_anomalies_user ON anomalies (user_id);
CREATE INDEX idx_anomalies_timestamp ON anomalies (observed_at DESC);
CREATE INDEX idx_anomalies_severity ON anomalies (severity);
CREATE INDEX idx_anomalies_acknowledged ON anomalies (observed_at DESC) WHERE NOT acknowledged;
CREATE TRIGGER anomalies_set_updated_at BEFORE UPDATE ON anomalies
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE alert_rules (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  dataset_id        uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  name              text NOT NULL,
  -- e.g. {"metric": "distance", "operator": ">", "value": 3.5, "minSeverity": "high"}
  condition         jsonb NOT NULL,
  -- [{"type": "webhook", "url": …} | {"type": "sns", "topicArn": …}]; webhooks are signed.
  actions           jsonb NOT NULL DEFAULT '[]',
  severity          text NOT NULL,
  is_active         boolean NOT NULL DEFAULT true,
  cooldown_seconds  integer NOT NULL DEFAULT 0,
  last_triggered_at timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_rules_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT alert_rules_condition_check CHECK (jsonb_typeof(condition) = 'object'),
  CONSTRAINT alert_rules_actions_check CHECK (jsonb_typeof(actions) = 'array'),
  CONSTRAINT alert_rules_cooldown_check CHECK (cooldown_seconds >= 0)
);
CREATE INDEX idx_alert_rules_dataset ON alert_rules (dataset_id);
CREATE INDEX idx_alert_rules_user ON alert_rules (user_id);
CREATE INDEX idx_alert_rules_active ON alert_rules (dataset_id) WHERE is_active;
CREATE TRIGGER alert_rules_set_updated_at BEFORE UPDATE ON alert_rules
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE alerts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  alert_rule_id   uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  dataset_id      uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  anomaly_id      uuid REFERENCES anomalies (id) ON DELETE SET NULL,
  severity        text NOT NULL,
  status          text NOT NULL DEFAULT 'active',
  data            jsonb NOT NULL DEFAULT '{}',
  acknowledged_by uuid REFERENCES users (id) ON DELETE SET NULL,
  acknowledged_at timestamptz,
  resolved_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  resolved_at     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alerts_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT alerts_status_check CHECK (status IN ('active', 'acknowledged', 'resolved'))
);
CREATE INDEX idx_alerts_rule ON alerts (alert_rule_id);
CREATE INDEX idx_alerts_dataset ON alerts (dataset_id);
CREATE INDEX idx_alerts_user ON alerts (user_id);
CREATE INDEX idx_alerts_status ON alerts (status);
CREATE INDEX idx_alerts_created_at ON alerts (created_at DESC);
CREATE TRIGGER alerts_set_updated_at BEFORE UPDATE ON alerts
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
