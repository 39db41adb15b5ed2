import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../../shared/config/config';
import { jsonb } from '../../../../../shared/db/schema';
import { withTenant } from '../../../../../shared/db/tenant';
import { insertDataset } from '../../../../../shared/domain/datasets/dataset-repository';
import { insertUploadingVersion } from '../../../../../shared/domain/datasets/dataset-version-repository';
import { evaluateAlertRules } from '../../../../../shared/domain/monitoring/records/alert-rules-evaluation';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { fixedClock } from '../../../../../shared/kernel/clock.port';
import { createLogger } from '../../../../../shared/observability/logger';
import {
  AlertTopicRefusedError,
  type AlertTopicMessage,
  type AlertTopicPublisher,
} from '../../../../../shared/ports/alert-topic.port';
import { createTestDatabase, type TestDatabase } from '../../../support/database';
import { createTestUser } from '../../../support/fixtures';

/**
 * An alert rule whose action is an SNS topic, evaluated after a monitoring run as the monitoring
 * node does, against PostgreSQL: the alert is published through the topic port, a temporary
 * failure is retried, a refusal is not, and every attempt is in the delivery log.
 */
let testDb: TestDatabase;
let scope: { userId: string; role: 'user' };
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:pipeweave-alerts-line-3';
const now = new Date('2026-12-01T10:00:00Z');
const logger = createLogger(loadConfig({ PW_RUNTIME: 'local', PW_LOG_LEVEL: 'SILENT' }));
const noWait = { sleep: async () => {}, backoffMs: 1 };

beforeAll(async () => {
  testDb = await createTestDatabase();
  scope = { userId: (await createTestUser(testDb.db)).id, role: 'user' };
});
afterAll(async () => {
  await testDb?.drop();
});

/** A dataset whose last monitoring run found 8 anomalous rows in 10, and a rule on its anomaly rate. */
async function monitoredDatasetWithTopicRule(name: string) {
  return withTenant(testDb.db, scope, async (trx) => {
    const dataset = await insertDataset(trx, { userId: scope.userId, name, modality: 'tabular' });
    const version = await insertUploadingVersion(trx, {
      datasetId: dataset.id,
      userId: scope.userId,
      sourceType: 'upload',
      originalFilename: 'rows.csv',
      originalFormat: 'csv',
      contentType: 'text/csv',
      sizeBytes: 10,
      rawKey: (n) => `raw/${scope.userId}/${dataset.id}/${n}/rows.csv`,
      uploadExpiresAt: now,
    });
    const analysis = await trx
      .insertInto('analyses')
      .values({
        user_id: scope.userId,
        dataset_id: dataset.id,
        dataset_version_id: version.id,
        analysis_type: 'monitoring',
        status: 'completed',
        summary: jsonb({ rows: 10, anomalies: 8, maxSeverity: 3.2, driftShare: 0.4 }),
        completed_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rule = await trx
      .insertInto('alert_rules')
      .values({
        user_id: scope.userId,
        dataset_id: dataset.id,
        name: 'drift on line 3',
        condition: jsonb({ metric: 'anomaly_rate', operator: '>=', threshold: 0.5, windowMinutes: 60 }),
        actions: jsonb([{ type: 'sns', topicArn }]),
        severity: 'high',
        cooldown_seconds: 600,
        is_active: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { datasetId: dataset.id, analysisId: analysis.id, ruleId: rule.id };
  });
}

function deliveriesOf(datasetId: string) {
  return withTenant(testDb.db, scope, (trx) =>
    trx
      .selectFrom('alert_deliveries as d')
      .innerJoin('alerts as a', 'a.id', 'd.alert_id')
      .select(['d.action', 'd.target', 'd.attempt', 'd.ok', 'd.error'])
      .where('a.dataset_id', '=', datasetId)
      .orderBy('d.attempt')
      .execute(),
  );
}

function evaluate(
  target: { datasetId: string; analysisId: string },
  alertTopics: AlertTopicPublisher | undefined,
) {
  return evaluateAlertRules({ db: testDb.db, clock: fixedClock(now), logger, alertTopics }, scope, {
    ...target,
    now,
    delivery: noWait,
  });
}

describe('alert rules with an SNS action', () => {
  it('publish the alert to the topic, retrying a temporary failure, each attempt logged', async () => {
    const target = await monitoredDatasetWithTopicRule('line 3');
    const published: { topicArn: string; message: AlertTopicMessage }[] = [];
    let calls = 0;
    const topics: AlertTopicPublisher = {
      async publish(arn, message) {
        calls += 1;
        if (calls === 1)
          throw new DependencyUnavailableError('notifications', 'SNS Publish failed: throttled');
        published.push({ topicArn: arn, message });
        return { messageId: 'msg-1' };
      },
    };

    expect(await evaluate(target, topics)).toBe(1);

    expect(published).toHaveLength(1);
    const [sent] = published;
    expect(sent?.topicArn).toBe(topicArn);
    expect(sent?.message).toMatchObject({
      subject: 'PipeWeave alert (high): drift on line 3',
      severity: 'high',
    });
    expect(JSON.parse(sent?.message.body ?? '{}')).toMatchObject({
      type: 'alert.triggered',
      alert: { ruleId: target.ruleId, datasetId: target.datasetId, metric: 'anomaly_rate', value: 0.8 },
    });
    expect(await deliveriesOf(target.datasetId)).toEqual([
      { action: 'sns', target: topicArn, attempt: 1, ok: false, error: expect.stringMatching(/throttled/) },
      { action: 'sns', target: topicArn, attempt: 2, ok: true, error: null },
    ]);
  });

  it('stop at a refusal, logging what to fix, without retrying', async () => {
    const target = await monitoredDatasetWithTopicRule('line 4');
    let calls = 0;
    const topics: AlertTopicPublisher = {
      publish() {
        calls += 1;
        return Promise.reject(
          new AlertTopicRefusedError(`SNS did not take the alert for ${topicArn}: the topic does not exist.`),
        );
      },
    };

    expect(await evaluate(target, topics)).toBe(1);

    expect(calls).toBe(1);
    expect(await deliveriesOf(target.datasetId)).toEqual([
      {
        action: 'sns',
        target: topicArn,
        attempt: 1,
        ok: false,
        error: expect.stringMatching(/does not exist/),
      },
    ]);
  });

  it('say where there are no topics that SNS is delivered only in AWS', async () => {
    const target = await monitoredDatasetWithTopicRule('line 5');

    expect(await evaluate(target, undefined)).toBe(1);

    expect(await deliveriesOf(target.datasetId)).toEqual([
      {
        action: 'sns',
        target: topicArn,
        attempt: 1,
        ok: false,
        error: expect.stringMatching(/only when PipeWeave runs in AWS/),
      },
    ]);
  });
});
