import * as z from 'zod';
import type { Database, DatabaseTransaction } from '../../db/database';
import { MODALITIES, TASK_TYPES } from '../../db/schema';
import type { Modality } from '../../db/schema';

/** ML task templates (reference data): what a task is, how it is measured, and a starting pipeline. */
export interface MlTask {
  id: string;
  key: string;
  name: string;
  description: string;
  modality: Modality;
  taskType: (typeof TASK_TYPES)[number];
  metrics: string[];
  /** Suggested starting definition (nodes + edges). */
  template: { nodes: unknown[]; edges: unknown[] };
  /** Algorithms that suit the task (learning nodes arrive with the learning catalog). */
  recommendedAlgorithms: string[];
}

const mlTaskRowSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    modality: z.enum(MODALITIES),
    task_type: z.enum(TASK_TYPES),
    metrics: z.array(z.string()),
    template: z.object({
      nodes: z.array(z.unknown()).default([]),
      edges: z.array(z.unknown()).default([]),
      recommendedAlgorithms: z.array(z.string()).default([]),
    }),
  })
  .transform((row): MlTask => ({
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    modality: row.modality,
    taskType: row.task_type,
    metrics: row.metrics,
    template: { nodes: row.template.nodes, edges: row.template.edges },
    recommendedAlgorithms: row.template.recommendedAlgorithms,
  }));

/** Active ML tasks, by modality then key; optionally only one modality's. */
export async function listMlTasks(
  db: Database | DatabaseTransaction,
  filter: { modality?: Modality } = {},
): Promise<MlTask[]> {
  let query = db
    .selectFrom('ml_tasks')
    .select(['id', 'key', 'name', 'description', 'modality', 'task_type', 'metrics', 'template'])
    .where('is_active', '=', true);
  if (filter.modality) query = query.where('modality', '=', filter.modality);
  const rows = await query.orderBy('modality').orderBy('key').execute();
  return rows.map((row) => mlTaskRowSchema.parse(row));
}
