/**
 * What monitoring nodes record: the analysis a node computes (created by `POST /analyses` or by
 * automatic monitoring, and tied to the node's job), a baseline's map and model, and a monitored
 * version's points, anomalies and drift (which then evaluate the dataset's alert rules). The node
 * runtime implements it over the database in the job owner's tenant scope.
 */
export interface MonitoringAnalysisTarget {
  id: string;
  kind: 'baseline' | 'monitoring';
  datasetId: string;
  datasetVersionId: string;
  /** The analysis's validated configuration (its own, or its baseline's for a monitoring run). */
  config: Record<string, unknown>;
  baseline?: { id: string; modelObjectKey: string; featureNames?: string[] } | undefined;
}

export interface BaselineMapRecord {
  coordinatesObjectKey: string;
  modelObjectKey: string;
  plotObjectKey: string;
  x: number[];
  y: number[];
  summary: Record<string, unknown>;
}

export interface MonitoredAnomaly {
  rowIndex: number;
  severity: number;
  level: 'low' | 'medium' | 'high' | 'critical';
  distance: number;
  threshold: number;
  features: unknown;
  metadata: Record<string, unknown>;
}

export interface MonitoringRunRecord {
  coordinatesObjectKey: string;
  plotObjectKey: string;
  x: number[];
  y: number[];
  severities: number[];
  anomalies: MonitoredAnomaly[];
  summary: Record<string, unknown> & { anomalyRate: number; maxSeverity: number; driftShare: number };
}

export interface RecordedMonitoringRun {
  processOrder: number;
  anomalies: number;
  alerts: number;
}

export interface MonitoringRecords {
  /** The analysis `analysisId` if it belongs to this job; throws a NodeError otherwise. */
  analysis(analysisId: string): Promise<MonitoringAnalysisTarget>;
  recordBaseline(analysisId: string, record: BaselineMapRecord): Promise<void>;
  recordMonitoringRun(analysisId: string, record: MonitoringRunRecord): Promise<RecordedMonitoringRun>;
}
