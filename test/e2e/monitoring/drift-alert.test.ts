import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import type { FeatureMatrix } from '../../../shared/domain/monitoring/feature-matrix';
import { callApi } from '../../support/api-client';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion, validatedVersion } from '../../support/upload-version';
import { startSourceServer, type SourceServer } from '../../integration/support/refresh-test-support';
import { syntheticDriftSet } from '../../unit/shared/domain/monitoring/synthetic-drift-set';

/**
 * Monitoring as a user runs it on the local runtime: a DInsight baseline of a 1,024-feature
 * dataset, the dataset bound to it, a drifted version dropped in the drop folder and monitored
 * without anyone asking, its anomalies recorded, an alert rule firing a signed webhook at a
 * receiver on this machine (which fails once, so the delivery is retried and logged), and the
 * alert acknowledged then resolved by its owner, each step audited. Another tenant reaches none
 * of it.
 */
type Body = Record<string, unknown>;

const FEATURES = 1024;
const DATASET = 'line-3 sensors';

let platform: LocalPlatform;
let dataDir: string;
let receiver: SourceServer;
let owner: RegisteredUser;
let other: RegisteredUser;
const deliveries: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

const api = (method: string, pathname: string, body?: unknown, as: RegisteredUser = owner) =>
  callApi(platform.url, as.authHeader, method, pathname, body);

function csvOf(matrix: FeatureMatrix, batch: string): string {
  const header = ['batch', ...Array.from({ length: FEATURES }, (_, f) => `f_${f}`)].join(',');
  const lines = [header];
  for (let i = 0; i < matrix.rows; i += 1) {
    const row = Array.from(matrix.values.subarray(i * FEATURES, (i + 1) * FEATURES), (v) => v.toFixed(4));
    lines.push(`${batch}-${i % 3},${row.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `t=<unix seconds>,v1=<hex>` checked as a receiver should: HMAC-SHA256 of "<t>.<body>". */
function signatureHolds(header: string, secret: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const t = parts['t'];
  const v1 = parts['v1'];
  if (!t || !v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const set = syntheticDriftSet({ seed: 11, baselineRows: 160, newRows: 60, features: FEATURES, shift: 3 });

beforeAll(async () => {
  receiver = await startSourceServer();
  let calls = 0;
  receiver.routes.set('/hooks/alerts', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls += 1;
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      // The first delivery meets a receiver that is not ready: the platform must try again.
      res.writeHead(calls === 1 ? 503 : 204).end();
    });
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'pw-monitoring-e2e-'));
  platform = await startLocalPlatform({
    dataDir,
    port: 0,
    env: { PW_REFRESH_ALLOWED_HOSTS: 'localhost', PW_ALERT_WEBHOOK_CA_PEM: receiver.ca.toString('utf8') },
  });
  owner = await registerUser(platform.url);
  other = await registerUser(platform.url);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('monitoring a 1,024-feature dataset end to end', () => {
  let datasetId: string;
  let baselineId: string;
  let ruleId: string;
  let secret: string;
  let monitoring: Body;
  let alert: Body;

  it('maps a baseline version with DInsight and calibrates its thresholds', async () => {
    const created = await api('POST', '/datasets', { name: DATASET, modality: 'tabular' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    datasetId = String(created.body.id);
    const version = await uploadValidatedVersion(platform.url, owner.authHeader, datasetId, {
      name: 'baseline.csv',
      contentType: 'text/csv',
      bytes: Buffer.from(csvOf(set.baseline, 'base')),
    });
    expect(version).toMatchObject({ rowCount: 160, columnCount: FEATURES + 1 });

    const started = await api('POST', '/analyses', {
      datasetVersionId: version.id,
      type: 'dinsight',
      config: { imax: 150, colorBy: 'batch' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    baselineId = String(started.body.id);
    const analysis = await until(
      'the baseline map to complete',
      async () => {
        const { body } = await api('GET', `/analyses/${baselineId}`);
        if (body.status === 'failed') throw new Error(`the baseline failed: ${String(body.error)}`);
        return body.status === 'completed' ? body : undefined;
      },
      180_000,
      250,
    );
    expect(analysis).toMatchObject({ type: 'dinsight', datasetId, hasPlot: true, hasCoordinates: true });
    expect(analysis.config).toMatchObject({ startDim: 'f_0', endDim: 'f_1023', imax: 150, a: 0.8 });
    expect(analysis.summary).toMatchObject({ rows: 160, features: FEATURES });

    const plot = await fetch(`${platform.url}/analyses/${baselineId}/plot`, {
      headers: owner.authHeader,
      redirect: 'manual',
    });
    expect(plot.status).toBe(302);
    const svg = await (await fetch(String(plot.headers.get('location')))).text();
    expect(svg).toContain('<svg');
  }, 240_000);

  it('binds the dataset and sets a rule whose webhook is signed with a secret shown once', async () => {
    const bound = await api('PUT', `/datasets/${datasetId}/monitoring`, { analysisId: baselineId });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body).toMatchObject({ datasetId, analysisId: baselineId });

    const rule = await api('POST', '/alert-rules', {
      datasetId,
      name: 'drift on line 3',
      condition: { metric: 'anomaly_rate', operator: '>=', threshold: 0.5, windowMinutes: 60 },
      actions: [{ type: 'webhook', url: `${receiver.origin}/hooks/alerts` }],
      severity: 'high',
      cooldownSeconds: 600,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    ruleId = String(rule.body.id);
    secret = String(rule.body.webhookSecret);
    expect(secret).toMatch(/^whsec_/);
    const read = await api('GET', `/alert-rules/${ruleId}`);
    expect(read.body).not.toHaveProperty('webhookSecret');

    // Topics exist only in AWS: the local runtime refuses an SNS action when the rule is written.
    const topic = {
      type: 'sns',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:pipeweave-alerts-line-3',
    };
    const refused = await api('PATCH', `/alert-rules/${ruleId}`, { actions: [topic] });
    expect(refused.status).toBe(400);
    expect(refused.contentType).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'ALERT_RULE.SNS_AWS_ONLY', field: 'body.actions.0.type' });
    expect(String(refused.body.detail)).toMatch(/only available when PipeWeave runs in AWS/);
    const unchanged = await api('GET', `/alert-rules/${ruleId}`);
    expect(unchanged.body.actions).toEqual([{ type: 'webhook', url: `${receiver.origin}/hooks/alerts` }]);
  });

  it('monitors a drifted version dropped in the drop folder without being asked', async () => {
    await platform.services.blobs.put(`dropbox/${owner.userId}/${DATASET}.csv`, csvOf(set.shifted, 'drift'), {
      contentType: 'text/csv',
    });
    const version = await validatedVersion(platform.url, owner.authHeader, datasetId, 2, 120_000);
    monitoring = await until(
      'the drifted version to be monitored',
      async () => {
        const { body } = await api('GET', `/analyses?datasetId=${datasetId}`);
        const run = (body.items as Body[]).find(
          (a) => a.type === 'monitoring' && a.datasetVersionId === version.id,
        );
        if (run?.status === 'failed') throw new Error(`monitoring failed: ${String(run.error)}`);
        return run?.status === 'completed' ? run : undefined;
      },
      180_000,
      250,
    );
    expect(monitoring.baselineAnalysisId).toBe(baselineId);
    const summary = monitoring.summary as Body;
    expect(summary.rows).toBe(60);
    expect(Number(summary.anomalyRate)).toBeGreaterThanOrEqual(0.9);
  }, 300_000);

  it('records the anomalies with severity, threshold and top features', async () => {
    const { body } = await api('GET', `/anomalies?analysisId=${String(monitoring.id)}&limit=500`);
    const items = body.items as Body[];
    expect(items.length).toBeGreaterThanOrEqual(54);
    for (const anomaly of items) {
      expect(anomaly).toMatchObject({ datasetId, acknowledged: false });
      expect(Number(anomaly.distance)).toBeGreaterThanOrEqual(Number(anomaly.threshold));
      expect(String(anomaly.severity)).toMatch(/^(low|medium|high|critical)$/);
    }
    const features = items[0]?.features as { feature: string }[];
    expect(features.length).toBeGreaterThan(0);
    expect(features[0]?.feature).toMatch(/^f_\d+$/);

    const acknowledged = await api('POST', `/anomalies/${String(items[0]?.id)}/acknowledge`);
    expect(acknowledged.body).toMatchObject({ acknowledged: true, acknowledgedBy: owner.userId });
  });

  it('fires the rule: one alert, its webhook signed over timestamp and body, retried and logged', async () => {
    alert = await until('the alert to be delivered', async () => {
      const { body } = await api('GET', `/alerts?datasetId=${datasetId}`);
      const found = (body.items as Body[]).find((a) => a.ruleId === ruleId);
      return found && (found.deliveries as Body[]).some((d) => d.ok === true) ? found : undefined;
    });
    expect(alert).toMatchObject({ status: 'active', severity: 'high', acknowledgedBy: null });
    expect(alert.data).toMatchObject({ metric: 'anomaly_rate', analysisId: monitoring.id });
    expect(Number((alert.data as Body).value)).toBeGreaterThanOrEqual(0.5);
    const log = alert.deliveries as Body[];
    expect(log.map((d) => [d.attempt, d.ok, d.statusCode])).toEqual([
      [1, false, 503],
      [2, true, 204],
    ]);
    expect(log[0]?.target).toBe(`${receiver.origin}/hooks/alerts`);

    expect(deliveries).toHaveLength(2);
    for (const delivery of deliveries) {
      const signature = String(delivery.headers['pipeweave-signature']);
      expect(signatureHolds(signature, secret, delivery.body)).toBe(true);
      // Signed with another secret, or over another body, the same header does not hold.
      expect(signatureHolds(signature, 'whsec_other', delivery.body)).toBe(false);
      expect(signatureHolds(signature, secret, delivery.body.replace('"high"', '"low"'))).toBe(false);
      expect(delivery.headers['pipeweave-delivery']).toBe(alert.id);
      const payload = JSON.parse(delivery.body) as Body;
      expect(payload).toMatchObject({
        type: 'alert.triggered',
        alert: { id: alert.id, ruleId, datasetId, severity: 'high', status: 'active' },
      });
    }
    // Only one alert: the rule's cooldown holds further runs back.
    const all = await api('GET', `/alerts?datasetId=${datasetId}`);
    expect(all.body.items).toHaveLength(1);
  }, 120_000);

  it('is acknowledged, then resolved, recording who and when, in the audit trail too', async () => {
    const acknowledged = await api('POST', `/alerts/${String(alert.id)}/acknowledge`);
    expect(acknowledged.status, JSON.stringify(acknowledged.body)).toBe(200);
    expect(acknowledged.body).toMatchObject({ status: 'acknowledged', acknowledgedBy: owner.userId });
    expect(Date.parse(String(acknowledged.body.acknowledgedAt))).not.toBeNaN();
    const twice = await api('POST', `/alerts/${String(alert.id)}/acknowledge`);
    expect(twice.status).toBe(409);

    const resolved = await api('POST', `/alerts/${String(alert.id)}/resolve`);
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      acknowledgedBy: owner.userId,
      acknowledgedAt: acknowledged.body.acknowledgedAt,
      resolvedBy: owner.userId,
    });
    expect(Date.parse(String(resolved.body.resolvedAt))).toBeGreaterThanOrEqual(
      Date.parse(String(acknowledged.body.acknowledgedAt)),
    );
    expect((await api('POST', `/alerts/${String(alert.id)}/resolve`)).status).toBe(409);

    const audit = await api('GET', '/audit-logs?limit=100');
    const actions = (audit.body.items as Body[])
      .filter((entry) => entry.resourceId === alert.id)
      .map((entry) => entry.action);
    expect(actions.sort()).toEqual(['alert.acknowledge', 'alert.resolve']);
  });

  it('keeps the analyses, rule, alert and anomalies from another tenant', async () => {
    expect((await api('GET', `/analyses/${baselineId}`, undefined, other)).status).toBe(404);
    expect((await api('GET', `/alert-rules/${ruleId}`, undefined, other)).status).toBe(404);
    expect((await api('POST', `/alerts/${String(alert.id)}/resolve`, undefined, other)).status).toBe(404);
    const theirs = await api('GET', `/anomalies?datasetId=${datasetId}`, undefined, other);
    expect(theirs.body.items).toEqual([]);
    const alerts = await api('GET', '/alerts', undefined, other);
    expect(alerts.body.items).toEqual([]);
  });
});
