import { toPage } from '../../db/page-cursor';
import type { DatasetVersionStatus, Modality } from '../../db/schema';
import { withOwner } from '../../db/owner-filter';
import type { Caller } from '../../kernel/request-context';
import type { Services } from '../../ports/services';
import { listDatasets as selectDatasets } from './dataset-repository';
import { datasetView } from './dataset-views';
import type { DatasetView } from './dataset-views';

export interface ListDatasetsQuery {
  limit?: number | undefined;
  cursor?: string | undefined;
  modality?: Modality | undefined;
  tag?: string | undefined;
  status?: DatasetVersionStatus | 'empty' | undefined;
  search?: string | undefined;
}

export async function listDatasets(
  services: Pick<Services, 'db'>,
  caller: Caller,
  query: ListDatasetsQuery,
): Promise<{ items: DatasetView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const rows = await withOwner(services.db, caller, (trx) =>
    selectDatasets(trx, {
      userId: caller.userId,
      limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(query.modality ? { modality: query.modality } : {}),
      ...(query.tag ? { tag: query.tag } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.search ? { search: query.search } : {}),
    }),
  );
  return toPage(rows, limit, datasetView);
}
