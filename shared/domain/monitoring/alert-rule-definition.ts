import * as z from 'zod';

/**
 * An alert rule's condition and actions. The condition reads the dataset's monitoring runs that
 * completed within the last `windowMinutes`:
 * - `anomaly_rate`: anomalous rows ÷ monitored rows over those runs;
 * - `max_severity`: the largest severity (score ÷ threshold) of a row;
 * - `drift_share`: the largest share of features that drifted in one run.
 */
export const ALERT_METRICS = ['anomaly_rate', 'max_severity', 'drift_share'] as const;
export const ALERT_OPERATORS = ['>', '>=', '<', '<=', '=='] as const;

export const alertConditionSchema = z
  .object({
    metric: z.enum(ALERT_METRICS),
    operator: z.enum(ALERT_OPERATORS).default('>='),
    threshold: z.number().finite(),
    windowMinutes: z.number().int().min(1).max(43_200).default(60),
  })
  .strict();

export type AlertCondition = z.infer<typeof alertConditionSchema>;

export const webhookActionSchema = z
  .object({
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https$/, error: 'url must be an https:// address' })
      .max(2048)
      .describe('Receives a signed POST of the alert (see PipeWeave-Signature)'),
  })
  .strict();

/**
 * Topics alerts may be published to: SNS topics of the deployment's own account and region whose
 * names start with this prefix (the only ones its role may publish to).
 */
export const ALERT_TOPIC_PREFIX = 'pipeweave-alerts-';

export const snsActionSchema = z
  .object({
    type: z.literal('sns'),
    topicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
        error: `topicArn must be a standard SNS topic ARN, arn:aws:sns:<region>:<account>:${ALERT_TOPIC_PREFIX}<name>`,
      })
      .refine((arn) => (arn.split(':')[5] ?? '').startsWith(ALERT_TOPIC_PREFIX), {
        error: `the topic's name must start with "${ALERT_TOPIC_PREFIX}": PipeWeave publishes only to those topics of its own account`,
      })
      .describe('Receives the alert as JSON (AWS only)'),
  })
  .strict();

export const alertActionsSchema = z
  .array(z.discriminatedUnion('type', [webhookActionSchema, snsActionSchema]))
  .max(5)
  .default([]);
export type WebhookAction = z.infer<typeof webhookActionSchema>;
export type SnsAction = z.infer<typeof snsActionSchema>;
export type AlertAction = WebhookAction | SnsAction;

export function conditionHolds(condition: AlertCondition, value: number): boolean {
  switch (condition.operator) {
    case '>':
      return value > condition.threshold;
    case '>=':
      return value >= condition.threshold;
    case '<':
      return value < condition.threshold;
    case '<=':
      return value <= condition.threshold;
    case '==':
      return value === condition.threshold;
  }
}

export interface MonitoringRunFigures {
  rows: number;
  anomalies: number;
  maxSeverity: number;
  driftShare: number;
}

/** The condition's metric over the runs of its window (undefined when there are none). */
export function metricOverWindow(
  condition: AlertCondition,
  runs: readonly MonitoringRunFigures[],
): number | undefined {
  if (runs.length === 0) return undefined;
  switch (condition.metric) {
    case 'anomaly_rate': {
      const rows = runs.reduce((s, r) => s + r.rows, 0);
      return rows > 0 ? runs.reduce((s, r) => s + r.anomalies, 0) / rows : 0;
    }
    case 'max_severity':
      return Math.max(...runs.map((r) => r.maxSeverity));
    case 'drift_share':
      return Math.max(...runs.map((r) => r.driftShare));
  }
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as the receiver recomputes it. */
export const SIGNATURE_HEADER = 'pipeweave-signature';
