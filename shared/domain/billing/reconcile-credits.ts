import type { Database } from '../../db/database';
import type { Clock } from '../../kernel/clock.port';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics.port';
import {
  countDrift,
  jobCreditsDrift,
  stuckStripeEventDrift,
  userBalanceDrift,
  type CreditDrift,
  type CreditDriftKind,
} from './credit-reconciliation';
import { inReconciliationTransaction } from './credit-reconciliation-repository';
import {
  STRIPE_REDRIVE_POLICY,
  stuckEventCutoff,
  type StripeRedrivePolicy,
} from './stripe-event-retry-policy';

export interface ReconcileCreditsDeps {
  db: Database;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'error'>;
  metrics: Pick<Metrics, 'add'>;
}

export interface ReconcileCreditsOptions {
  policy?: StripeRedrivePolicy;
  pageSize?: number;
  /** Drift kept in the report and audited, at most; the counts are always complete. */
  maxReported?: number;
}

export interface ReconciliationReport {
  checkedUsers: number;
  checkedJobs: number;
  /** Drift found, per kind (zeros when the ledger adds up). */
  driftCounts: Record<CreditDriftKind, number>;
  /** The drift itself, each also written as an audit entry (`billing.reconciliation.drift`). */
  drift: CreditDrift[];
  /** More drift was found than is reported. */
  truncated: boolean;
}

/** The metric each run emits per kind, so an alarm can watch for a non-zero value. */
export const CREDIT_DRIFT_METRIC = 'CreditLedgerDrift';

/**
 * Checks that the credit ledger adds up (the rules are in credit-reconciliation.ts): every user's
 * balance against their entries, every finished job's credits against its reservation and
 * settlement, and that no Stripe event outlived the re-drive. Drift is counted as a metric per
 * kind, logged, and written to the audit trail — never corrected here.
 */
export async function reconcileCredits(
  deps: ReconcileCreditsDeps,
  options: ReconcileCreditsOptions = {},
): Promise<ReconciliationReport> {
  const pageSize = options.pageSize ?? 500;
  const maxReported = options.maxReported ?? 200;
  const found: CreditDrift[] = [];
  const counts = countDrift([]);
  const note = (drift: CreditDrift | null) => {
    if (!drift) return;
    counts[drift.kind] += 1;
    if (found.length < maxReported) found.push(drift);
  };

  let checkedUsers = 0;
  for (let after: string | undefined; ;) {
    const page = await inReconciliationTransaction(deps.db, (r) => r.userBalances(after, pageSize));
    for (const user of page) note(userBalanceDrift(user));
    checkedUsers += page.length;
    after = page.at(-1)?.userId;
    if (page.length < pageSize) break;
  }

  const reservationsSince = await inReconciliationTransaction(deps.db, (r) => r.firstJobReservationAt());
  let checkedJobs = 0;
  for (let after: string | undefined; ;) {
    const page = await inReconciliationTransaction(deps.db, (r) => r.finishedJobs(after, pageSize));
    for (const job of page) note(jobCreditsDrift(job, reservationsSince));
    checkedJobs += page.length;
    after = page.at(-1)?.jobId;
    if (page.length < pageSize) break;
  }

  const cutoff = stuckEventCutoff(deps.clock.now(), options.policy ?? STRIPE_REDRIVE_POLICY);
  const stuck = await inReconciliationTransaction(deps.db, (r) =>
    r.waitingStripeEventsBefore(cutoff, maxReported + 1),
  );
  for (const event of stuck) note(stuckStripeEventDrift(event, cutoff));

  if (found.length > 0) {
    await inReconciliationTransaction(deps.db, async (r) => {
      for (const drift of found) await r.recordDrift(drift);
    });
  }

  for (const [kind, count] of Object.entries(counts)) {
    deps.metrics.add(CREDIT_DRIFT_METRIC, count, 'Count', { kind });
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const report: ReconciliationReport = {
    checkedUsers,
    checkedJobs,
    driftCounts: counts,
    drift: found,
    truncated: total > found.length,
  };
  if (total > 0) {
    deps.logger.error('credit ledger drift found', {
      driftCounts: counts,
      drift: found.slice(0, 20).map((d) => ({ kind: d.kind, resource: d.resource, problems: d.problems })),
      truncated: report.truncated,
    });
  } else {
    deps.logger.info('credit ledger reconciled: no drift', { checkedUsers, checkedJobs });
  }
  return report;
}
