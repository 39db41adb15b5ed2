import type { Database } from '../../db/database';
import { withOwner, type Owner } from '../../db/owner-filter';
import { NotFoundError } from '../../kernel/app-error';
import type { ExportRecord } from './export-records';
import { findExport, listExports, type ExportFilter } from './export-repository';

/** Reading exports: one of the caller's (another tenant's id is a 404), or a page of them, newest first. */
export async function getExport(db: Database, caller: Owner, exportId: string): Promise<ExportRecord> {
  const found = await withOwner(db, caller, (trx) => findExport(trx, caller, exportId));
  if (!found) throw new NotFoundError('Export', exportId);
  return found;
}

export async function listCallerExports(
  db: Database,
  caller: Owner,
  filter: ExportFilter,
): Promise<{ items: ExportRecord[]; nextCursor: string | null }> {
  return withOwner(db, caller, (trx) => listExports(trx, caller, filter));
}
