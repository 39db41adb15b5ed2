import * as z from 'zod';
import { SEVERITIES } from '../../../shared/db/schema';
import {
  alertActionsSchema,
  alertConditionSchema,
} from '../../../shared/domain/monitoring/alert-rule-definition';
import {
  acknowledgeAnomaly,
  analysisDownload,
  bindDatasetMonitoring,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  getAnalysis,
  listAlertRules,
  listAlerts,
  listAnalyses,
  listAnomalies,
  moveAlert,
  unbindDatasetMonitoring,
  updateAlertRule,
} from '../../../shared/domain/analyses/monitoring-use-cases';
import { startAnalysis } from '../../../shared/domain/analyses/start-analysis';
import { jobCredits } from '../../../shared/domain/runs/job-credits';
import { queryParam } from '../../../shared/http/query-params';
import {
  defineRoute,
  type ApiRequest,
  type ApiResponse,
  type IdempotencySpec,
  type RouteSpec,
} from '../../../shared/http/route';
import { callerOwnScope, uuidField } from '../../../shared/http/route-fields';
import { idempotencyKeyOf } from '../../../shared/kernel/idempotency-key';
import { signedIn } from '../../../shared/kernel/request-context';
import type { Services } from '../../../shared/ports/services';

/**
 * `analyses`: monitoring. DInsight baseline maps of dataset versions and monitoring runs against
 * them (both run as jobs, paid from credits), automatic monitoring of a dataset's new versions,
 * the anomalies found, alert rules over them and the alerts they raise.
 */
const GROUP = 'analyses';
const idempotency: IdempotencySpec = {
  mode: 'own',
  description: 'A retry with the same key answers the analysis the first request started.',
};
const analysisParams = z.object({ analysisId: uuidField() });
const datasetParams = z.object({ datasetId: uuidField() });
const anomalyParams = z.object({ anomalyId: uuidField() });
const ruleParams = z.object({ ruleId: uuidField() });
const alertParams = z.object({ alertId: uuidField() });
const notFound = { description: 'No such resource of yours' };
const downloadDescription = 'Redirects (302) to a 5-minute presigned GET; the body repeats the link.';

const ruleBody = z.strictObject({
  datasetId: uuidField(),
  name: z.string().trim().min(1).max(255),
  condition: alertConditionSchema,
  actions: alertActionsSchema,
  severity: z.enum(SEVERITIES).default('medium'),
  cooldownSeconds: z.number().int().min(0).max(604_800).default(3600),
  isActive: z.boolean().default(true),
});

/** A signed-in route of the monitoring API: the group, tag and auth every route here shares. */
function monitoringRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: Omit<RouteSpec<P, Q, B>, 'group' | 'tags' | 'auth'>,
): RouteSpec {
  return defineRoute<P, Q, B>({ ...spec, group: GROUP, tags: ['monitoring'], auth: 'user' });
}

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

/** 201 with the analysis a baseline or monitoring request started (or, replayed, the first one). */
async function startedAnalysis(
  request: ApiRequest<unknown, unknown, unknown>,
  services: Services,
  kind: Parameters<typeof startAnalysis>[2],
): Promise<ApiResponse> {
  const { caller } = signedIn(request);
  const started = await startAnalysis(
    { services, credits: jobCredits() },
    caller,
    kind,
    idempotencyKeyOf(request.headers),
  );
  const analysis = await getAnalysis(services, callerOwnScope(request), started.analysisId);
  return {
    status: 201,
    replayed: !started.created,
    headers: { location: `/analyses/${analysis.id}` },
    body: analysis,
  };
}

export const analysisRoutes: RouteSpec[] = [
  monitoringRoute({
    method: 'POST',
    path: '/analyses',
    operationId: 'startAnalysis',
    summary: 'Map a dataset version with DInsight (a baseline for monitoring)',
    description:
      'Starts a job that maps the version’s feature columns (`config.startDim`…`config.endDim`) in 2-D and calibrates the anomaly scores on it. `config` takes DInsight’s parameters (gamma0, optimizer, alpha, imax, lowdim, eta, epsilon, beta1, beta2, beta, a, w1, w2, whichW1, mode, paramMode, startDim, endDim, endMeta) with their defaults, plus seed, colorBy, thresholdMethod, quantile, sensitivity and pcaComponents.',
    idempotency,
    request: {
      body: z.strictObject({
        datasetVersionId: uuidField(),
        type: z.literal('dinsight').default('dinsight'),
        config: z.record(z.string(), z.unknown()).default({}),
      }),
    },
    responses: {
      201: { description: 'The analysis and the job computing it' },
      400: { description: 'A parameter, the feature range, non-numeric features or too few rows (named)' },
      402: { description: 'Not enough credits for the job' },
      404: notFound,
      409: { description: 'The version is not validated' },
    },
    handle: (request, services) =>
      startedAnalysis(request, services, {
        kind: 'baseline',
        datasetVersionId: request.body.datasetVersionId,
        config: request.body.config,
      }),
  }),
  monitoringRoute({
    method: 'POST',
    path: '/analyses/{analysisId}/monitor',
    operationId: 'monitorWithAnalysis',
    summary: 'Monitor a dataset version against a baseline',
    description:
      'Starts a job that places the version’s rows on the baseline’s map, scores them in feature space, records anomalies and drift, and evaluates the dataset’s alert rules.',
    idempotency,
    request: { params: analysisParams, body: z.strictObject({ datasetVersionId: uuidField() }) },
    responses: {
      201: { description: 'The monitoring analysis and its job' },
      400: { description: 'The version’s features differ from the baseline’s (named)' },
      402: { description: 'Not enough credits for the job' },
      404: notFound,
      409: { description: 'The baseline has not completed, or the version is not validated' },
    },
    handle: (request, services) =>
      startedAnalysis(request, services, {
        kind: 'monitoring',
        datasetVersionId: request.body.datasetVersionId,
        baselineAnalysisId: request.params.analysisId,
      }),
  }),
  monitoringRoute({
    method: 'GET',
    path: '/analyses',
    operationId: 'listAnalyses',
    summary: 'Your analyses, newest first',
    request: {
      query: z.object({
        datasetId: uuidField().optional(),
        limit: queryParam.int({ min: 1, max: 200 }).default(50),
      }),
    },
    responses: { 200: { description: 'Analyses' } },
    handle: async (request, services) =>
      ok({ items: await listAnalyses(services, callerOwnScope(request), request.query) }),
  }),
  monitoringRoute({
    method: 'GET',
    path: '/analyses/{analysisId}',
    operationId: 'getAnalysis',
    summary:
      'An analysis: status, configuration, summary (thresholds, anomaly rate, drift) or what went wrong',
    request: { params: analysisParams },
    responses: { 200: { description: 'The analysis' }, 404: notFound },
    handle: async (request, services) =>
      ok(await getAnalysis(services, callerOwnScope(request), request.params.analysisId)),
  }),
  ...(['plot', 'coordinates'] as const).map((what) =>
    monitoringRoute({
      method: 'GET',
      path: `/analyses/{analysisId}/${what}`,
      operationId: what === 'plot' ? 'downloadAnalysisPlot' : 'downloadAnalysisCoordinates',
      summary: what === 'plot' ? 'The map as an SVG scatter plot' : 'The map’s coordinates as Parquet',
      description: downloadDescription,
      request: { params: analysisParams },
      responses: {
        302: { description: 'The link' },
        404: notFound,
        409: { description: 'Not completed yet' },
      },
      async handle(request, services) {
        const link = await analysisDownload(
          services,
          callerOwnScope(request),
          request.params.analysisId,
          what,
        );
        return { status: 302, headers: { location: link.url, 'cache-control': 'no-store' }, body: link };
      },
    }),
  ),
  monitoringRoute({
    method: 'PUT',
    path: '/datasets/{datasetId}/monitoring',
    operationId: 'bindDatasetMonitoring',
    summary: 'Monitor every new version of a dataset against a baseline',
    description:
      'Versions that arrive from now on (upload, drop folder, scheduled refresh) are monitored automatically.',
    request: { params: datasetParams, body: z.strictObject({ analysisId: uuidField() }) },
    responses: {
      200: { description: 'The binding' },
      404: notFound,
      409: { description: 'The baseline is not completed or maps another dataset' },
    },
    async handle(request, services) {
      const body = await bindDatasetMonitoring(
        services,
        callerOwnScope(request),
        request.params.datasetId,
        request.body.analysisId,
        request,
      );
      return ok(body);
    },
  }),
  monitoringRoute({
    method: 'DELETE',
    path: '/datasets/{datasetId}/monitoring',
    operationId: 'unbindDatasetMonitoring',
    summary: 'Stop monitoring a dataset’s new versions',
    request: { params: datasetParams },
    responses: { 204: { description: 'No longer bound' }, 404: notFound },
    async handle(request, services) {
      await unbindDatasetMonitoring(services, callerOwnScope(request), request.params.datasetId, request);
      return { status: 204 };
    },
  }),
  monitoringRoute({
    method: 'GET',
    path: '/anomalies',
    operationId: 'listAnomalies',
    summary: 'Anomalies found by monitoring, newest first',
    request: {
      query: z.object({
        analysisId: uuidField().optional(),
        datasetId: uuidField().optional(),
        acknowledged: z.enum(['true', 'false']).optional(),
        limit: queryParam.int({ min: 1, max: 500 }).default(100),
      }),
    },
    responses: { 200: { description: 'Anomalies with severity, distance, threshold and top features' } },
    async handle(request, services) {
      const { acknowledged, ...rest } = request.query;
      const items = await listAnomalies(services, callerOwnScope(request), {
        ...rest,
        acknowledged: acknowledged === undefined ? undefined : acknowledged === 'true',
      });
      return ok({ items });
    },
  }),
  monitoringRoute({
    method: 'POST',
    path: '/anomalies/{anomalyId}/acknowledge',
    operationId: 'acknowledgeAnomaly',
    summary: 'Acknowledge an anomaly',
    request: { params: anomalyParams },
    responses: { 200: { description: 'The anomaly' }, 404: notFound },
    handle: async (request, services) =>
      ok(await acknowledgeAnomaly(services, callerOwnScope(request), request.params.anomalyId, request)),
  }),
  monitoringRoute({
    method: 'POST',
    path: '/alert-rules',
    operationId: 'createAlertRule',
    summary: 'Create an alert rule on a dataset',
    description:
      'condition: `{metric: anomaly_rate | max_severity | drift_share, operator, threshold, windowMinutes}` over the dataset’s monitoring runs of the window; actions: `[{type: "webhook", url: "https://…"}]`, and in AWS `{type: "sns", topicArn}` for a topic of the deployment’s account named `pipeweave-alerts-…` (the local runtime refuses it). Each webhook delivery is a POST signed with the rule’s `webhookSecret` (shown once, here): header `PipeWeave-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.',
    request: { body: ruleBody },
    responses: {
      201: { description: 'The rule, with its webhook secret' },
      400: { description: 'Invalid condition or action' },
      404: notFound,
    },
    async handle(request, services) {
      const rule = await createAlertRule(services, callerOwnScope(request), request.body, request);
      return { status: 201, headers: { location: `/alert-rules/${rule.id}` }, body: rule };
    },
  }),
  monitoringRoute({
    method: 'GET',
    path: '/alert-rules',
    operationId: 'listAlertRules',
    summary: 'Your alert rules',
    request: { query: z.object({ datasetId: uuidField().optional() }) },
    responses: { 200: { description: 'Rules' } },
    handle: async (request, services) =>
      ok({ items: await listAlertRules(services, callerOwnScope(request), request.query) }),
  }),
  monitoringRoute({
    method: 'GET',
    path: '/alert-rules/{ruleId}',
    operationId: 'getAlertRule',
    summary: 'An alert rule',
    request: { params: ruleParams },
    responses: { 200: { description: 'The rule' }, 404: notFound },
    handle: async (request, services) =>
      ok(await getAlertRule(services, callerOwnScope(request), request.params.ruleId)),
  }),
  monitoringRoute({
    method: 'PATCH',
    path: '/alert-rules/{ruleId}',
    operationId: 'updateAlertRule',
    summary: 'Change an alert rule',
    request: { params: ruleParams, body: ruleBody.omit({ datasetId: true }).partial() },
    responses: { 200: { description: 'The rule' }, 404: notFound },
    async handle(request, services) {
      const rule = await updateAlertRule(
        services,
        callerOwnScope(request),
        request.params.ruleId,
        request.body,
        request,
      );
      return ok(rule);
    },
  }),
  monitoringRoute({
    method: 'DELETE',
    path: '/alert-rules/{ruleId}',
    operationId: 'deleteAlertRule',
    summary: 'Delete an alert rule (and its alerts)',
    request: { params: ruleParams },
    responses: { 204: { description: 'Deleted' }, 404: notFound },
    async handle(request, services) {
      await deleteAlertRule(services, callerOwnScope(request), request.params.ruleId, request);
      return { status: 204 };
    },
  }),
  monitoringRoute({
    method: 'GET',
    path: '/alerts',
    operationId: 'listAlerts',
    summary: 'Alerts raised by your rules, newest first, each with its delivery log',
    request: {
      query: z.object({
        status: z.enum(['active', 'acknowledged', 'resolved']).optional(),
        datasetId: uuidField().optional(),
      }),
    },
    responses: { 200: { description: 'Alerts' } },
    handle: async (request, services) =>
      ok({ items: await listAlerts(services, callerOwnScope(request), request.query) }),
  }),
  ...(['acknowledge', 'resolve'] as const).map((verb) =>
    monitoringRoute({
      method: 'POST',
      path: `/alerts/{alertId}/${verb}`,
      operationId: verb === 'acknowledge' ? 'acknowledgeAlert' : 'resolveAlert',
      summary: verb === 'acknowledge' ? 'Acknowledge an active alert' : 'Resolve an alert',
      description: 'Records who and when, in the alert and in the audit trail.',
      request: { params: alertParams },
      responses: {
        200: { description: 'The alert' },
        404: notFound,
        409: { description: 'Already in that state or resolved' },
      },
      async handle(request, services) {
        const alert = await moveAlert(
          services,
          callerOwnScope(request),
          request.params.alertId,
          verb === 'acknowledge' ? 'acknowledged' : 'resolved',
          request,
        );
        return ok(alert);
      },
    }),
  ),
];
