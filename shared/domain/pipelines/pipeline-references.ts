import type { DatabaseTransaction } from '../../db/database';
import { NotFoundError } from '../../kernel/app-error';
import { findOwnedDatasets, mlTaskExists } from './pipeline-repository';

/** A pipeline's dataset must be a live dataset of the pipeline's owner; anything else is 404. */
export async function assertDatasetUsable(
  trx: DatabaseTransaction,
  ownerId: string,
  datasetId: string,
  field = 'body.datasetId',
): Promise<void> {
  const owned = await findOwnedDatasets(trx, ownerId, [datasetId]);
  if (!owned.has(datasetId.toLowerCase())) throw new NotFoundError('Dataset', datasetId, { field });
}

export async function assertMlTaskExists(trx: DatabaseTransaction, mlTaskId: string): Promise<void> {
  if (!(await mlTaskExists(trx, mlTaskId))) {
    throw new NotFoundError('ML task', mlTaskId, { code: 'ML_TASK.NOT_FOUND', field: 'body.mlTaskId' });
  }
}
