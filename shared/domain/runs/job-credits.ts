import type { CreditsPort } from '../billing/credits/credits.port';
import { LedgerCredits } from '../billing/credits/ledger-credits';

/** The credits adapter jobs reserve and settle through: the prepaid ledger. */
export function jobCredits(): CreditsPort {
  return new LedgerCredits();
}
