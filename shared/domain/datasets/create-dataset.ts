import type { RequestContext } from '../../kernel/request-context';
import { auditEntry, recordAudit } from '../identity/audit/record-audit';
import type { Modality, TaskType } from '../../db/schema';
import { isDatabaseError, SqlState } from '../../db/database-error';
import { withOwner } from '../../db/owner-filter';
import { ConflictError, NotFoundError } from '../../kernel/app-error';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import type { Dataset } from './dataset-records';
import { insertDataset, readUserUsage } from './dataset-repository';
import { checkDatasetAllowed, limitError, tierLimits } from './tier-limits';

export interface CreateDatasetInput {
  name: string;
  description?: string | null | undefined;
  modality: Modality;
  problemType?: TaskType | null | undefined;
  targetColumn?: string | null | undefined;
  tags?: string[] | undefined;
}

/** A new, empty dataset; the tier's dataset count is checked under the user row lock. */
export async function createDataset(
  services: Pick<Services, 'db' | 'config'>,
  caller: Caller,
  input: CreateDatasetInput,
  request: RequestContext,
): Promise<Dataset> {
  try {
    return await withOwner(services.db, caller, async (trx) => {
      const usage = await readUserUsage(trx, caller.userId, { forUpdate: true });
      if (!usage) throw new NotFoundError('User', caller.userId);
      const breach = checkDatasetAllowed(usage, tierLimits(usage.tier, services.config.datasets?.tierLimits));
      if (breach) throw limitError(breach);
      const dataset = await insertDataset(trx, {
        userId: caller.userId,
        name: input.name,
        description: input.description ?? null,
        modality: input.modality,
        problemType: input.problemType ?? null,
        targetColumn: input.targetColumn ?? null,
        tags: dedupeTags(input.tags ?? []),
        sourceType: caller.via === 'api-key' ? 'api' : 'upload',
      });
      await recordAudit(
        trx,
        auditEntry(
          request,
          'dataset.create',
          { type: 'dataset', id: dataset.id },
          { name: dataset.name, modality: dataset.modality },
        ),
      );
      return dataset;
    });
  } catch (error) {
    throw nameTaken(error, input.name);
  }
}

export function dedupeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))];
}

/** The one unique constraint a dataset write can hit is the live name per owner. */
export function nameTaken(error: unknown, name: string | undefined): unknown {
  if (isDatabaseError(error, SqlState.uniqueViolation) && name !== undefined) {
    return new ConflictError('DATASET.NAME_TAKEN', `You already have a dataset named "${name}".`, {
      field: 'body.name',
    });
  }
  return error;
}
