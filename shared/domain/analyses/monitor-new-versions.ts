import { sql } from 'kysely';
import { withSystemScope } from '../../db/tenant';
import { AppError } from '../../kernel/app-error';
import type { StartJobDeps } from '../runs/start-job';
import { startAnalysis } from './start-analysis';

/**
 * Automatic monitoring: every validated version of a bound dataset that arrived after the binding
 * (an upload, the drop folder or a scheduled refresh alike) and has not been monitored against the
 * bound baseline gets a monitoring job, paid from its owner's credits like any job. A version is
 * monitored once per baseline (a unique index), so overlapping sweeps start nothing twice; a
 * version that cannot be monitored (not enough credits, features that differ) is reported here
 * and tried again on the next sweep.
 */
export interface MonitorSweepReport {
  started: number;
  refused: { datasetVersionId: string; code: string }[];
}

export async function monitorNewVersions(
  deps: StartJobDeps,
  options: { limit?: number } = {},
): Promise<MonitorSweepReport> {
  const due = await withSystemScope(deps.services.db, 'schedule.monitor-new-versions', (trx) =>
    trx
      .selectFrom('monitoring_bindings as b')
      .innerJoin('dataset_versions as v', 'v.dataset_id', 'b.dataset_id')
      .innerJoin('analyses as base', 'base.id', 'b.analysis_id')
      .select(['b.user_id', 'b.analysis_id', 'v.id as version_id'])
      .where('v.status', '=', 'validated')
      .where('v.created_at', '>=', sql<Date>`b.created_at`)
      .where('v.id', '!=', sql<string>`base.dataset_version_id`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('analyses as m')
              .select('m.id')
              .whereRef('m.baseline_analysis_id', '=', 'b.analysis_id')
              .whereRef('m.dataset_version_id', '=', 'v.id')
              .where('m.analysis_type', '=', 'monitoring'),
          ),
        ),
      )
      .orderBy('v.created_at')
      .limit(options.limit ?? 50)
      .execute(),
  );
  const report: MonitorSweepReport = { started: 0, refused: [] };
  for (const row of due) {
    try {
      await startAnalysis(
        deps,
        { userId: row.user_id },
        { kind: 'monitoring', datasetVersionId: row.version_id, baselineAnalysisId: row.analysis_id },
        `auto:${row.analysis_id}:${row.version_id}`,
      );
      report.started += 1;
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'UNEXPECTED';
      report.refused.push({ datasetVersionId: row.version_id, code });
      deps.services.logger.warn('automatic monitoring could not start', {
        datasetVersionId: row.version_id,
        code,
        error,
      });
    }
  }
  return report;
}
