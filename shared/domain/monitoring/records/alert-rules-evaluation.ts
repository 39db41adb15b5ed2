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
import { postWebhook, type WebhookTransport } from './alert-webhook';

/**
 * After a monitoring run: every active rule of the dataset reads its metric over its window; a
 * rule whose condition holds and whose cooldown has passed raises an alert (active) and runs its
 * actions. Webhooks are retried with exponential backoff; every attempt goes to the delivery log.
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
  services: Pick<Services, 'db' | 'clock' | 'logger'> & { config?: Services['config'] },
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
    for (const action of alert.actions) {
      await deliverWebhook(
        services,
        tenant,
        alert.alertId,
        action,
        alert.secret ?? '',
        JSON.stringify(alert.body),
        delivery,
        transport,
      );
    }
  }
  return raised.length;
}

async function deliverWebhook(
  services: Pick<Services, 'db' | 'clock' | 'logger'>,
  tenant: TenantScope,
  alertId: string,
  action: AlertAction,
  secret: string,
  body: string,
  delivery: AlertDeliveryOptions,
  transport: WebhookTransport,
): Promise<boolean> {
  for (let attempt = 1; attempt <= delivery.attempts; attempt += 1) {
    let ok = false;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const answer = await postWebhook(
        {
          url: action.url,
          body,
          secret,
          deliveryId: alertId,
          timestamp: Math.floor(services.clock.now().getTime() / 1000),
        },
        transport,
      );
      status = answer.status;
      ok = status >= 200 && status < 300;
      if (!ok) error = `the receiver answered HTTP ${status}`;
    } catch (caught) {
      error = caught instanceof AppError || caught instanceof Error ? caught.message : 'delivery failed';
    }
    await withTenant(services.db, tenant, (trx) =>
      trx
        .insertInto('alert_deliveries')
        .values({
          user_id: tenant.userId,
          alert_id: alertId,
          action: 'webhook',
          target: action.url,
          attempt,
          ok,
          status_code: status,
          error,
        })
        .execute(),
    );
    if (ok) return true;
    // A refused address will not become acceptable by waiting; 4xx other than 408/429 neither.
    const permanent =
      error?.includes('private or reserved') ||
      error?.includes('Only https') ||
      (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429);
    if (permanent || attempt === delivery.attempts) break;
    await delivery.sleep(delivery.backoffMs * 2 ** (attempt - 1));
  }
  services.logger.warn('alert webhook not delivered', { alertId });
  return false;
}
