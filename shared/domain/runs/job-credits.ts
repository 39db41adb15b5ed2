import type { CreditsPort } from '../billing/credits/credits.port';
import { NoChargeCredits } from '../billing/credits/no-charge-credits';

/**
 * The credits adapter jobs reserve and settle through. Runs are free until the prepaid ledger
 * implements `CreditsPort`; that change happens here and nowhere else.
 */
export function jobCredits(): CreditsPort {
  return new NoChargeCredits();
}
