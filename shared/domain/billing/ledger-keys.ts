/**
 * The idempotency keys of the ledger entries a job's credits are written under: one reservation
 * (a consumption of the estimate) and at most one settlement (a refund of what was not used).
 * The credits adapter writes them; the daily reconciliation checks them.
 */
export function jobReserveKey(jobId: string): string {
  return `job-reserve:${jobId}`;
}

export function jobSettleKey(jobId: string): string {
  return `job-settle:${jobId}`;
}
