import { randomUUID } from 'node:crypto';
import type {
  ExperimentRunRecord,
  LearningRecords,
  ModelRegistration,
} from '../../shared/domain/nodes/learning-records.port';

/** Learning records kept in memory, for running training nodes without a database. */
export class MemoryLearningRecords implements LearningRecords {
  readonly experiments: { experimentId: string; objectiveMetric: string }[] = [];
  readonly runs: (ExperimentRunRecord & { runId: string; runNumber: number })[] = [];
  readonly models: ModelRegistration[] = [];
  readonly best = new Map<string, string>();

  async experiment(request: { experimentId?: string | undefined; objectiveMetric: string }) {
    const existing = this.experiments[0];
    if (request.experimentId) return { experimentId: request.experimentId };
    if (existing) return { experimentId: existing.experimentId };
    const experimentId = randomUUID();
    this.experiments.push({ experimentId, objectiveMetric: request.objectiveMetric });
    return { experimentId };
  }

  async recordRun(run: ExperimentRunRecord) {
    const runNumber = this.runs.filter((r) => r.experimentId === run.experimentId).length + 1;
    const runId = randomUUID();
    this.runs.push({ ...run, runId, runNumber });
    return { runId, runNumber };
  }

  async setBestRun(experimentId: string, runId: string) {
    this.best.set(experimentId, runId);
  }

  async registerModel(model: ModelRegistration) {
    this.models.push(model);
    return { modelId: model.modelId, version: this.models.length };
  }
}
