import { jsonb } from '../../../db/schema';
import { withTenant, type TenantScope } from '../../../db/tenant';
import type { Services } from '../../../ports/services';
import { AppError } from '../../../kernel/app-error';
import {
  alertActionsSchema,
  alertConditionSchema,
  conditionHolds,
  metricOverWindow,
  type AlertAction,
} from '../alert-rule-definition';
import {
  AlertTopicRefusedError,
  type AlertTopicMessage,
  type AlertTopicPublisher,
} from '../../../ports/alert-topic.port';
import { postWebhook, type WebhookPost, type WebhookTransport } from './alert-webhook';

/**
 * After a monitoring run: every active rule of the dataset reads its metric over its window; a
 * rule whose condition holds and whose cooldown has passed raises an alert (active) and runs its
 * actions (a signed webhook, or an SNS topic in AWS). Deliveries are retried with exponential
 * backoff; every attempt goes to the delivery log.
 */
export interface AlertDeliveryOptions {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
}

const DEFAULT_DELIVERY: AlertDeliveryOptions = {
  attempts: 4,
  backoffMs: 500,
  timeoutMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export async function evaluateAlertRules(
  services: Pick<Services, 'db' | 'clock' | 'logger'> & {
    config?: Services['config'];
    alertTopics?: AlertTopicPublisher | undefined;
  },
  tenant: TenantScope,
  run: { datasetId: string; analysisId: string; now: Date; delivery?: Partial<AlertDeliveryOptions> },
): Promise<number> {
  const raised = await withTenant(services.db, tenant, async (trx) => {
    const rules = await trx
      .selectFrom('alert_rules')
      .selectAll()
      .where('dataset_id', '=', run.datasetId)
      .where('is_active', '=', true)
      .execute();
    const out: {
      alertId: string;
      actions: AlertAction[];
      ruleName: string;
      severity: string;
      secret: string | null;
      body: Record<string, unknown>;
    }[] = [];
    for (const rule of rules) {
      const condition = alertConditionSchema.safeParse(rule.condition);
      if (!condition.success) continue;
      if (
        rule.last_triggered_at &&
        run.now.getTime() - new Date(rule.last_triggered_at).getTime() < rule.cooldown_seconds * 1000
      ) {
        continue;
      }
      const since = new Date(run.now.getTime() - condition.data.windowMinutes * 60_000);
      const runs = await trx
        .selectFrom('analyses')
        .select(['id', 'summary'])
        .where('dataset_id', '=', run.datasetId)
        .where('analysis_type', '=', 'monitoring')
        .where('status', '=', 'completed')
        .where('completed_at', '>=', since)
        .execute();
      const figures = runs.map((r) => {
        const s = (r.summary ?? {}) as Record<string, unknown>;
        const num = (k: string) => (typeof s[k] === 'number' ? s[k] : 0);
        return {
          rows: num('rows'),
          anomalies: num('anomalies'),
          maxSeverity: num('maxSeverity'),
          driftShare: num('driftShare'),
        };
      });
      const value = metricOverWindow(condition.data, figures);
      if (value === undefined || !conditionHolds(condition.data, value)) continue;
      const worst = await trx
        .selectFrom('anomalies')
        .select('id')
        .where('analysis_id', '=', run.analysisId)
        .orderBy('distance', 'desc')
        .limit(1)
        .executeTakeFirst();
      const data = {
        metric: condition.data.metric,
        operator: condition.data.operator,
        threshold: condition.data.threshold,
        value,
        windowMinutes: condition.data.windowMinutes,
        runs: runs.length,
        analysisId: run.analysisId,
      };
      const alert = await trx
        .insertInto('alerts')
        .values({
          user_id: tenant.userId,
          alert_rule_id: rule.id,
          dataset_id: run.datasetId,
          anomaly_id: worst?.id ?? null,
          severity: rule.severity,
          status: 'active',
          data: jsonb(data),
        })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('alert_rules')
        .set({ last_triggered_at: run.now })
        .where('id', '=', rule.id)
        .execute();
      const actions = alertActionsSchema.safeParse(rule.actions);
      out.push({
        alertId: alert.id,
        actions: actions.success ? actions.data : [],
        ruleName: rule.name,
        severity: rule.severity,
        secret: rule.webhook_secret,
        body: {
          type: 'alert.triggered',
          alert: {
            id: alert.id,
            ruleId: rule.id,
            ruleName: rule.name,
            datasetId: run.datasetId,
            severity: rule.severity,
            status: 'active',
            createdAt: new Date(alert.created_at).toISOString(),
            ...data,
          },
        },
      });
    }
    return out;
  });
  const delivery = { ...DEFAULT_DELIVERY, ...run.delivery };
  const transport: WebhookTransport = {
    allowedHosts: services.config?.datasets?.refreshAllowedHosts ?? [],
    ca: services.config?.datasets?.alertWebhookCaPem,
    timeoutMs: delivery.timeoutMs,
  };
  for (const alert of raised) {
    const body = JSON.stringify(alert.body);
    for (const action of alert.actions) {
      const send =
        action.type === 'webhook'
          ? (): Promise<AttemptOutcome> =>
              webhookAttempt(
                {
                  url: action.url,
                  body,
                  secret: alert.secret ?? '',
                  deliveryId: alert.alertId,
                  timestamp: Math.floor(services.clock.now().getTime() / 1000),
                },
                transport,
              )
          : (): Promise<AttemptOutcome> =>
              topicAttempt(services.alertTopics, action.topicArn, {
                subject: `PipeWeave alert (${alert.severity}): ${alert.ruleName}`,
                body,
                severity: alert.severity,
              });
      await deliverWithRetries(services, tenant, {
        alertId: alert.alertId,
        action: action.type,
        target: action.type === 'webhook' ? action.url : action.topicArn,
        send,
        delivery,
      });
    }
  }
  return raised.length;
}

interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** Waiting will not change the answer: no further attempt. */
  permanent: boolean;
}

async function webhookAttempt(post: WebhookPost, transport: WebhookTransport): Promise<AttemptOutcome> {
  try {
    const { status } = await postWebhook(post, transport);
    const ok = status >= 200 && status < 300;
    // A 4xx other than 408/429 will not become a 2xx by waiting.
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return { ok, status, error: ok ? null : `the receiver answered HTTP ${status}`, permanent };
  } catch (caught) {
    const error = caught instanceof AppError || caught instanceof Error ? caught.message : 'delivery failed';
    // A refused address will not become acceptable by waiting.
    const permanent = error.includes('private or reserved') || error.includes('Only https');
    return { ok: false, status: null, error, permanent };
  }
}

async function topicAttempt(
  topics: AlertTopicPublisher | undefined,
  topicArn: string,
  message: AlertTopicMessage,
): Promise<AttemptOutcome> {
  if (!topics) {
    return {
      ok: false,
      status: null,
      error: 'SNS actions are delivered only when PipeWeave runs in AWS.',
      permanent: true,
    };
  }
  try {
    await topics.publish(topicArn, message);
    return { ok: true, status: null, error: null, permanent: false };
  } catch (caught) {
    return {
      ok: false,
      status: null,
      error: caught instanceof Error ? caught.message : 'publish failed',
      permanent: caught instanceof AlertTopicRefusedError,
    };
  }
}

/** Attempts with exponential backoff until one succeeds, a refusal is final or attempts run out; each logged. */
async function deliverWithRetries(
  services: Pick<Services, 'db' | 'logger'>,
  tenant: TenantScope,
  job: {
    alertId: string;
    action: AlertAction['type'];
    target: string;
    send: () => Promise<AttemptOutcome>;
    delivery: AlertDeliveryOptions;
  },
): Promise<boolean> {
  const { delivery } = job;
  for (let attempt = 1; attempt <= delivery.attempts; attempt += 1) {
    const outcome = await job.send();
    await withTenant(services.db, tenant, (trx) =>
      trx
        .insertInto('alert_deliveries')
        .values({
          user_id: tenant.userId,
          alert_id: job.alertId,
          action: job.action,
          target: job.target,
          attempt,
          ok: outcome.ok,
          status_code: outcome.status,
          error: outcome.error,
        })
        .execute(),
    );
    if (outcome.ok) return true;
    if (outcome.permanent || attempt === delivery.attempts) break;
    await delivery.sleep(delivery.backoffMs * 2 ** (attempt - 1));
  }
  services.logger.warn('alert not delivered', { alertId: job.alertId, action: job.action });
  return false;
}
