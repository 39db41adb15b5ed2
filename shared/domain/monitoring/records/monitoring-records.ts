import { sql } from 'kysely';
import type { DatabaseTransaction } from '../../../db/database';
import { jsonb } from '../../../db/schema';
import { withTenant } from '../../../db/tenant';
import type { Services } from '../../../ports/services';
import type {
  BaselineMapRecord,
  MonitoringAnalysisTarget,
  MonitoringRecords,
  MonitoringRunRecord,
  RecordedMonitoringRun,
} from '../monitoring-run-records';
import { ConflictError, ValidationError } from '../../../kernel/app-error';
import { evaluateAlertRules, type AlertDeliveryOptions } from './alert-rules-evaluation';

/**
 * The monitoring records of one job's nodes, in the job owner's tenant scope. A node only
 * computes an analysis created for its own job. Recording is idempotent: a retried node replaces
 * what an earlier attempt of the same analysis wrote (points, anomalies) in one transaction.
 */
export function databaseMonitoringRecords(
  services: Pick<Services, 'db' | 'clock' | 'logger' | 'alertTopics'> & { config?: Services['config'] },
  scope: { userId: string; jobId: string },
  delivery: Partial<AlertDeliveryOptions> = {},
): MonitoringRecords {
  const tenant = { userId: scope.userId, role: 'user' as const };
  const inTenant = <T>(work: (trx: DatabaseTransaction) => Promise<T>) =>
    withTenant(services.db, tenant, work);
  return {
    analysis: (analysisId) =>
      inTenant(async (trx): Promise<MonitoringAnalysisTarget> => {
        const row = await trx
          .selectFrom('analyses')
          .select([
            'id',
            'analysis_type',
            'dataset_id',
            'dataset_version_id',
            'config',
            'baseline_analysis_id',
            'job_id',
          ])
          .where('id', '=', analysisId)
          .executeTakeFirst();
        if (!row || row.job_id !== scope.jobId) {
          throw new ValidationError(`Analysis ${analysisId} is not one this job was started for.`, {
            code: 'ANALYSIS.NOT_THIS_JOB',
            field: 'analysisId',
          });
        }
        await trx
          .updateTable('analyses')
          .set({ status: 'running', started_at: services.clock.now(), error_message: null })
          .where('id', '=', analysisId)
          .execute();
        if (row.analysis_type !== 'monitoring') {
          return {
            id: row.id,
            kind: 'baseline',
            datasetId: row.dataset_id,
            datasetVersionId: row.dataset_version_id,
            config: asObject(row.config),
          };
        }
        const baseline = row.baseline_analysis_id
          ? await trx
              .selectFrom('analyses')
              .select(['id', 'config', 'model_object_key', 'status'])
              .where('id', '=', row.baseline_analysis_id)
              .executeTakeFirst()
          : undefined;
        if (!baseline?.model_object_key || baseline.status !== 'completed') {
          throw new ConflictError(
            'ANALYSIS.BASELINE_NOT_READY',
            `The baseline of analysis ${analysisId} is not completed; monitor once it is.`,
          );
        }
        return {
          id: row.id,
          kind: 'monitoring',
          datasetId: row.dataset_id,
          datasetVersionId: row.dataset_version_id,
          config: asObject(baseline.config),
          baseline: { id: baseline.id, modelObjectKey: baseline.model_object_key },
        };
      }),

    recordBaseline: (analysisId, record: BaselineMapRecord) =>
      inTenant(async (trx) => {
        await trx
          .updateTable('analyses')
          .set({
            status: 'completed',
            coordinates_object_key: record.coordinatesObjectKey,
            model_object_key: record.modelObjectKey,
            plot_object_key: record.plotObjectKey,
            summary: jsonb(record.summary),
            completed_at: services.clock.now(),
          })
          .where('id', '=', analysisId)
          .execute();
        await trx
          .insertInto('dinsight_data')
          .values({ user_id: scope.userId, analysis_id: analysisId, x_values: record.x, y_values: record.y })
          .onConflict((oc) =>
            oc.column('analysis_id').doUpdateSet({ x_values: record.x, y_values: record.y }),
          )
          .execute();
      }),

    async recordMonitoringRun(analysisId, record: MonitoringRunRecord): Promise<RecordedMonitoringRun> {
      const now = services.clock.now();
      const recorded = await inTenant(async (trx) => {
        const analysis = await trx
          .selectFrom('analyses')
          .select(['id', 'dataset_id', 'baseline_analysis_id'])
          .where('id', '=', analysisId)
          .executeTakeFirstOrThrow();
        const dinsight = await trx
          .selectFrom('dinsight_data')
          .select('id')
          .where('analysis_id', '=', analysis.baseline_analysis_id ?? '')
          .executeTakeFirstOrThrow();
        // Serialises process order per baseline.
        await sql`select pg_advisory_xact_lock(hashtext(${dinsight.id}))`.execute(trx);
        await trx.deleteFrom('anomalies').where('analysis_id', '=', analysisId).execute();
        const earlier = await trx
          .selectFrom('monitor_data')
          .select('process_order')
          .where('analysis_id', '=', analysisId)
          .executeTakeFirst();
        await trx.deleteFrom('monitor_data').where('analysis_id', '=', analysisId).execute();
        const last = await trx
          .selectFrom('monitor_data')
          .select((eb) => eb.fn.max('process_order').as('last'))
          .where('dinsight_id', '=', dinsight.id)
          .executeTakeFirst();
        const processOrder = earlier?.process_order ?? Number(last?.last ?? 0) + 1;
        await trx
          .insertInto('monitor_data')
          .values({
            user_id: scope.userId,
            dinsight_id: dinsight.id,
            analysis_id: analysisId,
            monitor_values: record.severities,
            x_values: record.x,
            y_values: record.y,
            metadata: jsonb({
              anomalyRate: record.summary.anomalyRate,
              driftShare: record.summary.driftShare,
            }),
            process_order: processOrder,
          })
          .execute();
        for (let start = 0; start < record.anomalies.length; start += 500) {
          await trx
            .insertInto('anomalies')
            .values(
              record.anomalies.slice(start, start + 500).map((a) => ({
                user_id: scope.userId,
                analysis_id: analysisId,
                dataset_id: analysis.dataset_id,
                observed_at: now,
                row_index: a.rowIndex,
                severity: a.level,
                distance: a.distance,
                threshold: a.threshold,
                features: jsonb(a.features),
                metadata: jsonb({ ...a.metadata, severityRatio: a.severity }),
              })),
            )
            .execute();
        }
        await trx
          .updateTable('analyses')
          .set({
            status: 'completed',
            coordinates_object_key: record.coordinatesObjectKey,
            plot_object_key: record.plotObjectKey,
            summary: jsonb({ ...record.summary, processOrder }),
            completed_at: now,
          })
          .where('id', '=', analysisId)
          .execute();
        return { processOrder, datasetId: analysis.dataset_id };
      });
      const alerts = await evaluateAlertRules(services, tenant, {
        datasetId: recorded.datasetId,
        analysisId,
        now,
        delivery,
      });
      return { processOrder: recorded.processOrder, anomalies: record.anomalies.length, alerts };
    },
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
