/**
 * The monitoring records of a node (analyses, map points, anomalies, alerts); defined with the
 * monitoring area, implemented over the database and handed to nodes by their host.
 */
export type {
  BaselineMapRecord,
  MonitoredAnomaly,
  MonitoringAnalysisTarget,
  MonitoringRecords,
  MonitoringRunRecord,
  RecordedMonitoringRun,
} from '../monitoring/monitoring-run-records';
