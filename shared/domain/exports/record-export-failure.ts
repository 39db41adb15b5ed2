import { withTenant, type TenantScope } from '../../db/tenant';
import type { Services } from '../../ports/services';
import { settleExportCredits } from './export-credits';
import type { ExportMessage } from './export-message';
import { failExport } from './export-repository';

/** The export had already ended: nothing to record (the transaction is rolled back with it). */
class ExportAlreadyEnded extends Error {
  override name = 'ExportAlreadyEnded';
}

/**
 * Marks an unfinished export failed with a message for its owner and settles its credits
 * (`usedCredits` charged, the rest refunded) in one transaction. False, and nothing written, when
 * the export had already ended or is gone: whoever ended it settled it.
 */
export async function recordExportFailure(
  services: Pick<Services, 'db' | 'clock'>,
  scope: TenantScope,
  message: ExportMessage,
  failure: { code: string; message: string },
  usedCredits: number,
): Promise<boolean> {
  try {
    return await withTenant(services.db, scope, async (trx) => {
      const charged = await settleExportCredits(trx, { ...message, usedCredits });
      const failed = await failExport(trx, message.exportId, {
        ...failure,
        creditsCharged: charged,
        now: services.clock.now(),
      });
      if (!failed) throw new ExportAlreadyEnded();
      return true;
    });
  } catch (error) {
    if (error instanceof ExportAlreadyEnded) return false;
    throw error;
  }
}
