import type {
  CreditEstimate,
  CreditReservation,
  CreditSettlement,
  CreditsPort,
  ReserveCreditsRequest,
  SettleCreditsRequest,
} from './credits.port';

/**
 * Jobs run free: nothing is held or taken from any balance. The job still records what it was
 * estimated to cost and what it used, so switching to the ledger changes who pays, not what the
 * job says.
 */
export class NoChargeCredits implements CreditsPort {
  async estimate(_trx: unknown, _userId: string, credits: number): Promise<CreditEstimate> {
    return { credits, available: null, sufficient: true };
  }

  async reserve(_trx: unknown, request: ReserveCreditsRequest): Promise<CreditReservation> {
    return { jobId: request.jobId, reserved: 0 };
  }

  async settle(_trx: unknown, request: SettleCreditsRequest): Promise<CreditSettlement> {
    return { jobId: request.jobId, charged: 0, refunded: 0 };
  }
}
