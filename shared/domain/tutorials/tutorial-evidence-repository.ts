import type { DatabaseTransaction } from '../../db/database';
import type { Owner } from '../../db/owner-filter';
import type { CompletionCondition, StepEvidence } from './completion-conditions';

/**
 * Checks a completion condition against the caller's own rows: every query filters by the
 * caller's id and runs in their tenant scope (row-level security backs it up), so another user's
 * work can never complete a step. The oldest matching resource since `since` is the evidence.
 */
export async function findEvidence(
  trx: DatabaseTransaction,
  owner: Owner,
  condition: CompletionCondition,
  since: Date | null,
): Promise<StepEvidence | null | undefined> {
  const after = condition.anyTime ? null : since;
  const userId = owner.userId;
  switch (condition.kind) {
    case 'dataset.created': {
      let query = trx
        .selectFrom('datasets')
        .select(['id', 'name', 'created_at'])
        .where('user_id', '=', userId)
        .where('deleted_at', 'is', null);
      if (condition.modality) query = query.where('modality', '=', condition.modality);
      if (after) query = query.where('created_at', '>=', after);
      const row = await query.orderBy('created_at').orderBy('id').executeTakeFirst();
      return row && evidence('dataset', row.id, row.name, row.created_at);
    }
    case 'version.validated': {
      let query = trx
        .selectFrom('dataset_versions as v')
        .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
        .select(['v.id', 'v.version_number', 'v.validated_at', 'd.name'])
        .where('v.user_id', '=', userId)
        .where('v.status', '=', 'validated')
        .where('v.validated_at', 'is not', null);
      if (condition.modality) query = query.where('d.modality', '=', condition.modality);
      if (after) query = query.where('v.validated_at', '>=', after);
      const row = await query.orderBy('v.validated_at').orderBy('v.id').executeTakeFirst();
      return (
        row &&
        row.validated_at &&
        evidence('datasetVersion', row.id, `${row.name} version ${row.version_number}`, row.validated_at)
      );
    }
    case 'schema.accepted': {
      let query = trx
        .selectFrom('schema_deductions as s')
        .innerJoin('datasets as d', 'd.id', 's.dataset_id')
        .select(['s.dataset_version_id', 's.decided_at', 'd.name'])
        .where('s.user_id', '=', userId)
        .where('s.status', '=', 'accepted')
        .where('s.decided_at', 'is not', null);
      if (after) query = query.where('s.decided_at', '>=', after);
      const row = await query.orderBy('s.decided_at').executeTakeFirst();
      return (
        row &&
        row.decided_at &&
        evidence('datasetVersion', row.dataset_version_id, `schema of ${row.name}`, row.decided_at)
      );
    }
    case 'pipeline.created': {
      let query = trx
        .selectFrom('pipelines as p')
        .innerJoin('ml_tasks as t', 't.id', 'p.ml_task_id')
        .select(['p.id', 'p.name', 'p.created_at'])
        .where('p.user_id', '=', userId)
        .where('p.deleted_at', 'is', null);
      if (condition.mlTask) query = query.where('t.key', '=', condition.mlTask);
      if (after) query = query.where('p.created_at', '>=', after);
      const row = await query.orderBy('p.created_at').orderBy('p.id').executeTakeFirst();
      return row && evidence('pipeline', row.id, row.name, row.created_at);
    }
    case 'model.trained': {
      let query = trx
        .selectFrom('models as m')
        .innerJoin('jobs as j', 'j.id', 'm.job_id')
        .leftJoin('dataset_versions as v', 'v.id', 'j.dataset_version_id')
        .leftJoin('datasets as d', 'd.id', 'v.dataset_id')
        .select(['m.id', 'm.name', 'm.version', 'm.created_at'])
        .where('m.user_id', '=', userId);
      if (condition.modality) query = query.where('d.modality', '=', condition.modality);
      if (after) query = query.where('m.created_at', '>=', after);
      const row = await query.orderBy('m.created_at').orderBy('m.id').executeTakeFirst();
      return row && evidence('model', row.id, `${row.name} version ${row.version}`, row.created_at);
    }
    case 'node.succeeded': {
      let query = trx
        .selectFrom('job_nodes as n')
        .innerJoin('jobs as j', 'j.id', 'n.job_id')
        .select(['j.id', 'n.node_id', 'n.node_type', 'n.completed_at'])
        .where('n.user_id', '=', userId)
        .where('j.user_id', '=', userId)
        .where('n.status', '=', 'success')
        .where('n.completed_at', 'is not', null);
      if (condition.nodeType) query = query.where('n.node_type', '=', condition.nodeType);
      if (after) query = query.where('n.completed_at', '>=', after);
      const row = await query.orderBy('n.completed_at').orderBy('n.id').executeTakeFirst();
      return (
        row &&
        row.completed_at &&
        evidence('job', row.id, `${row.node_type} node "${row.node_id}" succeeded`, row.completed_at)
      );
    }
    case 'alias.set': {
      let query = trx
        .selectFrom('model_aliases as a')
        .innerJoin('models as m', 'm.id', 'a.model_id')
        .select(['a.model_id', 'a.name', 'a.alias', 'a.updated_at', 'm.version'])
        .where('a.user_id', '=', userId);
      if (after) query = query.where('a.updated_at', '>=', after);
      const row = await query.orderBy('a.updated_at').executeTakeFirst();
      return (
        row &&
        evidence('model', row.model_id, `${row.name}@${row.alias} → version ${row.version}`, row.updated_at)
      );
    }
    case 'predictions.made': {
      let query = trx
        .selectFrom('prediction_usage')
        .select(['rows_predicted', 'updated_at'])
        .where('user_id', '=', userId)
        .where('rows_predicted', '>', 0);
      if (after) query = query.where('updated_at', '>=', after);
      const row = await query.executeTakeFirst();
      return row && evidence('predictions', null, `${row.rows_predicted} rows predicted`, row.updated_at);
    }
    case 'export.completed': {
      let query = trx
        .selectFrom('exports as x')
        .leftJoin('jobs as j', 'j.id', 'x.job_id')
        .leftJoin('dataset_versions as v', (join) =>
          join.on((eb) => eb('v.id', '=', eb.fn.coalesce('x.dataset_version_id', 'j.dataset_version_id'))),
        )
        .leftJoin('datasets as d', 'd.id', 'v.dataset_id')
        .select(['x.id', 'x.format', 'x.completed_at'])
        .where('x.user_id', '=', userId)
        .where('x.status', '=', 'completed')
        .where('x.completed_at', 'is not', null);
      if (condition.format) query = query.where('x.format', '=', condition.format as never);
      if (condition.modality) query = query.where('d.modality', '=', condition.modality);
      if (after) query = query.where('x.completed_at', '>=', after);
      const row = await query.orderBy('x.completed_at').executeTakeFirst();
      return row && row.completed_at && evidence('export', row.id, `${row.format} export`, row.completed_at);
    }
    case 'job.charged': {
      let query = trx
        .selectFrom('jobs')
        .select(['id', 'charged_credits', 'completed_at'])
        .where('user_id', '=', userId)
        .where('status', 'in', ['completed', 'failed', 'cancelled'])
        .where('charged_credits', '>', 0)
        .where('completed_at', 'is not', null);
      if (after) query = query.where('completed_at', '>=', after);
      const row = await query.orderBy('completed_at').orderBy('id').executeTakeFirst();
      return (
        row &&
        row.completed_at &&
        evidence('job', row.id, `job charged ${row.charged_credits} credits`, row.completed_at)
      );
    }
    case 'profile.read': {
      let query = trx
        .selectFrom('user_resource_reads as r')
        .innerJoin('dataset_versions as v', 'v.id', 'r.resource_id')
        .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
        .select(['v.id', 'v.version_number', 'd.name', 'r.last_read_at'])
        .where('r.user_id', '=', userId)
        .where('r.resource_type', '=', 'profile')
        .where('v.user_id', '=', userId);
      if (after) query = query.where('r.last_read_at', '>=', after);
      const row = await query.orderBy('r.last_read_at').executeTakeFirst();
      return (
        row &&
        evidence(
          'datasetVersion',
          row.id,
          `you read the profile of ${row.name} version ${row.version_number}`,
          row.last_read_at,
        )
      );
    }
    case 'leaderboard.read':
    case 'results.read': {
      const resourceType = condition.kind === 'leaderboard.read' ? 'leaderboard' : 'jobResults';
      let query = trx
        .selectFrom('user_resource_reads as r')
        .innerJoin('jobs as j', 'j.id', 'r.resource_id')
        .select(['j.id', 'r.last_read_at'])
        .where('r.user_id', '=', userId)
        .where('r.resource_type', '=', resourceType)
        .where('j.user_id', '=', userId);
      if (after) query = query.where('r.last_read_at', '>=', after);
      const row = await query.orderBy('r.last_read_at').executeTakeFirst();
      const what = resourceType === 'leaderboard' ? 'the leaderboard' : 'the results';
      return row && evidence('job', row.id, `you read ${what} of job ${row.id}`, row.last_read_at);
    }
    case 'experiment.read': {
      let query = trx
        .selectFrom('user_resource_reads as r')
        .innerJoin('experiments as e', 'e.id', 'r.resource_id')
        .select(['e.id', 'e.name', 'r.last_read_at'])
        .where('r.user_id', '=', userId)
        .where('r.resource_type', '=', 'experiment')
        .where('e.user_id', '=', userId);
      if (after) query = query.where('r.last_read_at', '>=', after);
      const row = await query.orderBy('r.last_read_at').executeTakeFirst();
      return row && evidence('experiment', row.id, `you read the experiment ${row.name}`, row.last_read_at);
    }
    case 'credits.available':
    case 'credits.purchased': {
      let query = trx
        .selectFrom('credit_transactions')
        .select(['id', 'type', 'amount', 'created_at'])
        .where('user_id', '=', userId);
      if (condition.kind === 'credits.purchased') query = query.where('type', '=', 'purchase');
      if (after) query = query.where('created_at', '>=', after);
      const row = await query.orderBy('created_at').orderBy('id').executeTakeFirst();
      return (
        row && evidence('creditTransaction', row.id, `${row.type} of ${row.amount} credits`, row.created_at)
      );
    }
  }
}

function evidence(resourceType: string, resourceId: string | null, label: string, at: Date): StepEvidence {
  return { resourceType, resourceId, label, at: new Date(at) };
}
