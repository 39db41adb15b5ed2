import { randomBytes } from 'node:crypto';
import type { DatabaseTransaction } from '../../db/database';
import { jsonb, type Severity } from '../../db/schema';
import { withTenant, type TenantScope } from '../../db/tenant';
import { ConflictError, NotFoundError, ValidationError } from '../../kernel/app-error';
import type { RequestContext } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { downloadLink, type DownloadLink } from '../exports/download-link';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import {
  ALERT_TOPIC_PREFIX,
  type AlertAction,
  type AlertCondition,
} from '../monitoring/alert-rule-definition';

/** Reading analyses, and the alert rules, alerts, anomalies and bindings around them. */

type Db = Pick<Services, 'db'>;

export interface AnalysisView {
  id: string;
  type: 'dinsight' | 'monitoring';
  status: 'pending' | 'running' | 'completed' | 'failed';
  datasetId: string;
  datasetVersionId: string;
  baselineAnalysisId: string | null;
  jobId: string | null;
  config: unknown;
  summary: unknown;
  error: string | null;
  hasPlot: boolean;
  hasCoordinates: boolean;
  createdAt: string;
  completedAt: string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

async function analysisRows(
  trx: DatabaseTransaction,
  filter: { id?: string; datasetId?: string; limit: number },
) {
  let query = trx
    .selectFrom('analyses as a')
    .leftJoin('jobs as j', 'j.id', 'a.job_id')
    .select([
      'a.id',
      'a.analysis_type',
      'a.status',
      'a.dataset_id',
      'a.dataset_version_id',
      'a.baseline_analysis_id',
      'a.job_id',
      'a.config',
      'a.summary',
      'a.error_message',
      'a.plot_object_key',
      'a.coordinates_object_key',
      'a.created_at',
      'a.completed_at',
      'j.status as job_status',
      'j.error_message as job_error',
    ])
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(filter.limit);
  if (filter.id) query = query.where('a.id', '=', filter.id);
  if (filter.datasetId) query = query.where('a.dataset_id', '=', filter.datasetId);
  return query.execute();
}

function toView(row: Awaited<ReturnType<typeof analysisRows>>[number]): AnalysisView {
  // A job that ended without the node recording the analysis failed it: say so, with its reason.
  const ended = row.job_status === 'failed' || row.job_status === 'cancelled';
  const unfinished = row.status === 'pending' || row.status === 'running';
  const status = unfinished && ended ? 'failed' : row.status;
  return {
    id: row.id,
    type: row.analysis_type === 'monitoring' ? 'monitoring' : 'dinsight',
    status,
    datasetId: row.dataset_id,
    datasetVersionId: row.dataset_version_id,
    baselineAnalysisId: row.baseline_analysis_id,
    jobId: row.job_id,
    config: row.config,
    summary: row.summary,
    error:
      row.error_message ?? (status === 'failed' ? (row.job_error ?? `The job was ${row.job_status}.`) : null),
    hasPlot: row.plot_object_key !== null,
    hasCoordinates: row.coordinates_object_key !== null,
    createdAt: iso(row.created_at) ?? '',
    completedAt: iso(row.completed_at),
  };
}

export async function listAnalyses(
  services: Db,
  scope: TenantScope,
  filter: { datasetId?: string | undefined; limit: number },
) {
  return withTenant(services.db, scope, async (trx) =>
    (
      await analysisRows(trx, {
        limit: filter.limit,
        ...(filter.datasetId ? { datasetId: filter.datasetId } : {}),
      })
    ).map(toView),
  );
}

export async function getAnalysis(services: Db, scope: TenantScope, id: string): Promise<AnalysisView> {
  const row = await withTenant(
    services.db,
    scope,
    async (trx) => (await analysisRows(trx, { id, limit: 1 }))[0],
  );
  if (!row) throw new NotFoundError('Analysis', id);
  return toView(row);
}

/** A presigned link to the analysis's scatter plot (SVG) or coordinates (Parquet). */
export async function analysisDownload(
  services: Pick<Services, 'db' | 'blobs' | 'clock'>,
  scope: TenantScope,
  id: string,
  what: 'plot' | 'coordinates',
): Promise<DownloadLink> {
  const row = await withTenant(services.db, scope, (trx) =>
    trx
      .selectFrom('analyses')
      .select(['plot_object_key', 'coordinates_object_key', 'status'])
      .where('id', '=', id)
      .executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('Analysis', id);
  const key = what === 'plot' ? row.plot_object_key : row.coordinates_object_key;
  if (!key)
    throw new ConflictError(
      'ANALYSIS.NOT_READY',
      `Analysis ${id} is ${row.status}; its ${what} exists once it has completed.`,
    );
  const fileName = what === 'plot' ? `analysis-${id}.svg` : `analysis-${id}-coordinates.parquet`;
  const info = await services.blobs.head(key);
  return downloadLink(services, {
    key,
    fileName,
    fallbackName: fileName,
    sha256: null,
    sizeBytes: info?.size ?? null,
  });
}

/** Binds a dataset to a completed baseline: each new version is then monitored against it. */
export async function bindDatasetMonitoring(
  services: Db,
  scope: TenantScope,
  datasetId: string,
  analysisId: string,
  request: RequestContext,
) {
  return withTenant(services.db, scope, async (trx) => {
    const dataset = await trx
      .selectFrom('datasets')
      .select('id')
      .where('id', '=', datasetId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!dataset) throw new NotFoundError('Dataset', datasetId);
    const analysis = await trx
      .selectFrom('analyses')
      .select(['id', 'analysis_type', 'dataset_id', 'status'])
      .where('id', '=', analysisId)
      .executeTakeFirst();
    if (!analysis || analysis.analysis_type === 'monitoring')
      throw new NotFoundError('Analysis', analysisId, { field: 'body.analysisId' });
    if (analysis.dataset_id !== datasetId) {
      throw new ConflictError(
        'MONITORING.OTHER_DATASET',
        `Analysis ${analysisId} maps another dataset; bind a baseline of dataset ${datasetId}.`,
        { field: 'body.analysisId' },
      );
    }
    if (analysis.status !== 'completed') {
      throw new ConflictError(
        'ANALYSIS.BASELINE_NOT_READY',
        `Analysis ${analysisId} is ${analysis.status}; bind it once it has completed.`,
        { field: 'body.analysisId' },
      );
    }
    const row = await trx
      .insertInto('monitoring_bindings')
      .values({ dataset_id: datasetId, user_id: scope.userId, analysis_id: analysisId })
      .onConflict((oc) =>
        oc.column('dataset_id').doUpdateSet({ analysis_id: analysisId, created_at: new Date() }),
      )
      .returning(['dataset_id', 'analysis_id', 'created_at'])
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      auditEntry(request, 'dataset.monitoring.bind', { type: 'dataset', id: datasetId }, { analysisId }),
    );
    return { datasetId: row.dataset_id, analysisId: row.analysis_id, since: iso(row.created_at) ?? '' };
  });
}

export async function unbindDatasetMonitoring(
  services: Db,
  scope: TenantScope,
  datasetId: string,
  request: RequestContext,
) {
  await withTenant(services.db, scope, async (trx) => {
    const removed = await trx
      .deleteFrom('monitoring_bindings')
      .where('dataset_id', '=', datasetId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0)
      throw new NotFoundError('Monitoring binding of dataset', datasetId);
    await recordAudit(
      trx,
      auditEntry(request, 'dataset.monitoring.unbind', { type: 'dataset', id: datasetId }),
    );
  });
}

export interface AlertRuleInput {
  datasetId: string;
  name: string;
  condition: AlertCondition;
  actions: AlertAction[];
  severity: Severity;
  cooldownSeconds: number;
  isActive: boolean;
}

function ruleView(row: {
  id: string;
  dataset_id: string;
  name: string;
  condition: unknown;
  actions: unknown;
  severity: Severity;
  is_active: boolean;
  cooldown_seconds: number;
  last_triggered_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}) {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    name: row.name,
    condition: row.condition,
    actions: row.actions,
    severity: row.severity,
    isActive: row.is_active,
    cooldownSeconds: row.cooldown_seconds,
    lastTriggeredAt: iso(row.last_triggered_at),
    createdAt: iso(row.created_at) ?? '',
    updatedAt: iso(row.updated_at) ?? '',
  };
}
const RULE_COLUMNS = [
  'id',
  'dataset_id',
  'name',
  'condition',
  'actions',
  'severity',
  'is_active',
  'cooldown_seconds',
  'last_triggered_at',
  'created_at',
  'updated_at',
] as const;

/**
 * SNS actions need topics, which exist only in AWS: on the local runtime a rule that names one is
 * refused when it is written, instead of failing silently each time it fires.
 */
function requireDeliverableActions(services: RuleServices, actions: readonly AlertAction[] | undefined) {
  const topic = (actions ?? []).findIndex((action) => action.type === 'sns');
  if (topic >= 0 && !services.alertTopics) {
    throw new ValidationError(
      'SNS actions are only available when PipeWeave runs in AWS; on this runtime use a webhook action ({"type": "webhook", "url": "https://…"}).',
      { code: 'ALERT_RULE.SNS_AWS_ONLY', field: `body.actions.${topic}.type` },
    );
  }
}

/**
 * The topics a user's rules may publish to are that user's own: named
 * `pipeweave-alerts-<user id>` or `pipeweave-alerts-<user id>-<anything>`. The deployment's role
 * may publish to every `pipeweave-alerts-` topic, so without this one tenant's rule could send
 * alerts to another's topic.
 */
export function requireOwnTopics(ownerId: string, actions: readonly AlertAction[] | undefined): void {
  const own = `${ALERT_TOPIC_PREFIX}${ownerId.toLowerCase()}`;
  for (const [index, action] of (actions ?? []).entries()) {
    if (action.type !== 'sns') continue;
    const name = (action.topicArn.split(':')[5] ?? '').toLowerCase();
    if (name !== own && !name.startsWith(`${own}-`))
      throw new ValidationError(
        `The topic must be one of yours: name it ${own} or ${own}-<suffix>, and PipeWeave will publish to it.`,
        { code: 'ALERT_RULE.TOPIC_NOT_YOURS', field: `body.actions.${index}.topicArn` },
      );
  }
}

type RuleServices = Pick<Services, 'db' | 'alertTopics'>;

export async function createAlertRule(
  services: RuleServices,
  scope: TenantScope,
  input: AlertRuleInput,
  request: RequestContext,
) {
  requireDeliverableActions(services, input.actions);
  requireOwnTopics(scope.userId, input.actions);
  return withTenant(services.db, scope, async (trx) => {
    const dataset = await trx
      .selectFrom('datasets')
      .select('id')
      .where('id', '=', input.datasetId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!dataset) throw new NotFoundError('Dataset', input.datasetId, { field: 'body.datasetId' });
    // The secret signs every webhook delivery; it is shown once, here.
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const row = await trx
      .insertInto('alert_rules')
      .values({
        user_id: scope.userId,
        dataset_id: input.datasetId,
        name: input.name,
        condition: jsonb(input.condition),
        actions: jsonb(input.actions),
        severity: input.severity,
        cooldown_seconds: input.cooldownSeconds,
        is_active: input.isActive,
        webhook_secret: secret,
      })
      .returning(RULE_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      auditEntry(request, 'alert_rule.create', { type: 'alert_rule', id: row.id }, { name: input.name }),
    );
    return { ...ruleView(row), webhookSecret: secret };
  });
}

export async function listAlertRules(
  services: Db,
  scope: TenantScope,
  filter: { datasetId?: string | undefined },
) {
  return withTenant(services.db, scope, async (trx) => {
    let query = trx.selectFrom('alert_rules').select(RULE_COLUMNS).orderBy('created_at', 'desc').limit(200);
    if (filter.datasetId) query = query.where('dataset_id', '=', filter.datasetId);
    return (await query.execute()).map(ruleView);
  });
}

export async function getAlertRule(services: Db, scope: TenantScope, id: string) {
  const row = await withTenant(services.db, scope, (trx) =>
    trx.selectFrom('alert_rules').select(RULE_COLUMNS).where('id', '=', id).executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('Alert rule', id);
  return ruleView(row);
}

export async function updateAlertRule(
  services: RuleServices,
  scope: TenantScope,
  id: string,
  change: Partial<Omit<AlertRuleInput, 'datasetId'>>,
  request: RequestContext,
) {
  requireDeliverableActions(services, change.actions);
  return withTenant(services.db, scope, async (trx) => {
    if (change.actions?.some((action) => action.type === 'sns')) {
      // The rule's owner, who may not be the caller when an administrator edits it.
      const owner = await trx
        .selectFrom('alert_rules')
        .select('user_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!owner) throw new NotFoundError('Alert rule', id);
      requireOwnTopics(owner.user_id, change.actions);
    }
    const row = await trx
      .updateTable('alert_rules')
      .set({
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.condition !== undefined ? { condition: jsonb(change.condition) } : {}),
        ...(change.actions !== undefined ? { actions: jsonb(change.actions) } : {}),
        ...(change.severity !== undefined ? { severity: change.severity } : {}),
        ...(change.cooldownSeconds !== undefined ? { cooldown_seconds: change.cooldownSeconds } : {}),
        ...(change.isActive !== undefined ? { is_active: change.isActive } : {}),
      })
      .where('id', '=', id)
      .returning(RULE_COLUMNS)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Alert rule', id);
    await recordAudit(
      trx,
      auditEntry(request, 'alert_rule.update', { type: 'alert_rule', id }, { fields: Object.keys(change) }),
    );
    return ruleView(row);
  });
}

export async function deleteAlertRule(services: Db, scope: TenantScope, id: string, request: RequestContext) {
  await withTenant(services.db, scope, async (trx) => {
    const removed = await trx.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError('Alert rule', id);
    await recordAudit(trx, auditEntry(request, 'alert_rule.delete', { type: 'alert_rule', id }));
  });
}

const ALERT_COLUMNS = [
  'id',
  'alert_rule_id',
  'dataset_id',
  'anomaly_id',
  'severity',
  'status',
  'data',
  'acknowledged_by',
  'acknowledged_at',
  'resolved_by',
  'resolved_at',
  'created_at',
] as const;

async function alertView(
  trx: DatabaseTransaction,
  row: {
    id: string;
    alert_rule_id: string;
    dataset_id: string;
    anomaly_id: string | null;
    severity: Severity;
    status: 'active' | 'acknowledged' | 'resolved';
    data: unknown;
    acknowledged_by: string | null;
    acknowledged_at: Date | string | null;
    resolved_by: string | null;
    resolved_at: Date | string | null;
    created_at: Date | string;
  },
) {
  const deliveries = await trx
    .selectFrom('alert_deliveries')
    .select(['action', 'target', 'attempt', 'ok', 'status_code', 'error', 'created_at'])
    .where('alert_id', '=', row.id)
    .orderBy('created_at')
    .execute();
  return {
    id: row.id,
    ruleId: row.alert_rule_id,
    datasetId: row.dataset_id,
    anomalyId: row.anomaly_id,
    severity: row.severity,
    status: row.status,
    data: row.data,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedAt: iso(row.acknowledged_at),
    resolvedBy: row.resolved_by,
    resolvedAt: iso(row.resolved_at),
    createdAt: iso(row.created_at) ?? '',
    deliveries: deliveries.map((d) => ({
      action: d.action,
      target: d.target,
      attempt: d.attempt,
      ok: d.ok,
      statusCode: d.status_code,
      error: d.error,
      at: iso(d.created_at) ?? '',
    })),
  };
}

export async function listAlerts(
  services: Db,
  scope: TenantScope,
  filter: { status?: string | undefined; datasetId?: string | undefined },
) {
  return withTenant(services.db, scope, async (trx) => {
    let query = trx.selectFrom('alerts').select(ALERT_COLUMNS).orderBy('created_at', 'desc').limit(200);
    if (filter.status) query = query.where('status', '=', filter.status as 'active');
    if (filter.datasetId) query = query.where('dataset_id', '=', filter.datasetId);
    const rows = await query.execute();
    return Promise.all(rows.map((row) => alertView(trx, row)));
  });
}

/** active → acknowledged → resolved (resolving an active alert acknowledges it too), audited. */
export async function moveAlert(
  services: Db,
  scope: TenantScope,
  id: string,
  to: 'acknowledged' | 'resolved',
  request: RequestContext,
) {
  return withTenant(services.db, scope, async (trx) => {
    const alert = await trx
      .selectFrom('alerts')
      .select(ALERT_COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!alert) throw new NotFoundError('Alert', id);
    if (alert.status === 'resolved' || (to === 'acknowledged' && alert.status === 'acknowledged')) {
      throw new ConflictError(
        'ALERT.ALREADY_' + alert.status.toUpperCase(),
        `Alert ${id} is already ${alert.status}.`,
      );
    }
    const now = new Date();
    const row = await trx
      .updateTable('alerts')
      .set({
        status: to,
        ...(alert.acknowledged_at === null ? { acknowledged_by: scope.userId, acknowledged_at: now } : {}),
        ...(to === 'resolved' ? { resolved_by: scope.userId, resolved_at: now } : {}),
      })
      .where('id', '=', id)
      .returning(ALERT_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      auditEntry(
        request,
        `alert.${to === 'resolved' ? 'resolve' : 'acknowledge'}`,
        { type: 'alert', id },
        { from: alert.status, to },
      ),
    );
    return alertView(trx, row);
  });
}

const ANOMALY_COLUMNS = [
  'id',
  'analysis_id',
  'dataset_id',
  'observed_at',
  'row_index',
  'severity',
  'distance',
  'threshold',
  'features',
  'metadata',
  'acknowledged',
  'acknowledged_by',
  'acknowledged_at',
  'created_at',
] as const;

function anomalyView(row: {
  id: string;
  analysis_id: string;
  dataset_id: string;
  observed_at: Date | string;
  row_index: number | string | null;
  severity: Severity;
  distance: number;
  threshold: number;
  features: unknown;
  metadata: unknown;
  acknowledged: boolean;
  acknowledged_by: string | null;
  acknowledged_at: Date | string | null;
  created_at: Date | string;
}) {
  return {
    id: row.id,
    analysisId: row.analysis_id,
    datasetId: row.dataset_id,
    observedAt: iso(row.observed_at) ?? '',
    rowIndex: row.row_index === null ? null : Number(row.row_index),
    severity: row.severity,
    distance: row.distance,
    threshold: row.threshold,
    features: row.features,
    metadata: row.metadata,
    acknowledged: row.acknowledged,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedAt: iso(row.acknowledged_at),
  };
}

export async function listAnomalies(
  services: Db,
  scope: TenantScope,
  filter: {
    analysisId?: string | undefined;
    datasetId?: string | undefined;
    acknowledged?: boolean | undefined;
    limit: number;
  },
) {
  return withTenant(services.db, scope, async (trx) => {
    let query = trx
      .selectFrom('anomalies')
      .select(ANOMALY_COLUMNS)
      .orderBy('observed_at', 'desc')
      .orderBy('distance', 'desc')
      .limit(filter.limit);
    if (filter.analysisId) query = query.where('analysis_id', '=', filter.analysisId);
    if (filter.datasetId) query = query.where('dataset_id', '=', filter.datasetId);
    if (filter.acknowledged !== undefined) query = query.where('acknowledged', '=', filter.acknowledged);
    return (await query.execute()).map(anomalyView);
  });
}

export async function acknowledgeAnomaly(
  services: Db,
  scope: TenantScope,
  id: string,
  request: RequestContext,
) {
  return withTenant(services.db, scope, async (trx) => {
    const row = await trx
      .updateTable('anomalies')
      .set({ acknowledged: true, acknowledged_by: scope.userId, acknowledged_at: new Date() })
      .where('id', '=', id)
      .where('acknowledged', '=', false)
      .returning(ANOMALY_COLUMNS)
      .executeTakeFirst();
    if (!row) {
      const exists = await trx
        .selectFrom('anomalies')
        .select(ANOMALY_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!exists) throw new NotFoundError('Anomaly', id);
      return anomalyView(exists);
    }
    await recordAudit(trx, auditEntry(request, 'anomaly.acknowledge', { type: 'anomaly', id }));
    return anomalyView(row);
  });
}
