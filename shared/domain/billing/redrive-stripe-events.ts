import type { SystemScopeReason } from '../../db/tenant';
import {
  applyRecordedStripeEvent,
  logDecidedStripeEvent,
  type StripeEventDeps,
} from './apply-recorded-stripe-event';
import { STRIPE_REDRIVE_POLICY, type StripeRedrivePolicy } from './stripe-event-retry-policy';
import { inStripeWebhookTransaction } from './stripe-webhook-repository';

export type RedriveStripeEventsDeps = StripeEventDeps;

export interface RedriveOptions {
  /** Only the refunds and disputes of this payment intent (its purchase was just applied). */
  paymentIntentId?: string;
  /** Who asks: the daily billing sweep, or the webhook right after a purchase. Default `schedule`. */
  via?: 'schedule' | 'webhook';
  policy?: StripeRedrivePolicy;
  batchSize?: number;
  /** At most this many events per run; the rest wait for the next one. */
  maxEvents?: number;
}

export interface RedriveReport {
  /** Events looked at. */
  examined: number;
  /** Stripe event ids now processed or ignored. */
  applied: string[];
  /** Stripe event ids that failed again and will be retried. */
  waiting: string[];
  gaveUp: { stripeEventId: string; reason: string }[];
  /** Events another transaction held (a concurrent re-drive), or that stopped waiting meanwhile. */
  skipped: number;
  /** Events whose re-drive threw (database trouble, …): tried again next run. */
  errors: number;
}

/**
 * Applies again the Stripe events that are recorded but not applied: `failed` ones whose failure
 * may pass (a refund or dispute that arrived before its purchase) and `received` ones never
 * decided (a crash between recording and applying). Each event is re-decided in its own
 * transaction under its row lock, through the same path as a first delivery, so a re-drive racing
 * a delivery or another re-drive applies it once; the ledger row's idempotency key (the event id)
 * guarantees it besides. An event is given up, with the reason stored on it, when its failure
 * cannot pass or it has been retried too often or too long (stripe-event-retry-policy.ts).
 *
 * Runs daily with the billing sweep, and right after a purchase is applied, for the refunds and
 * disputes of that payment that were waiting for it.
 */
export async function redriveStripeEvents(
  deps: RedriveStripeEventsDeps,
  options: RedriveOptions = {},
): Promise<RedriveReport> {
  const policy = options.policy ?? STRIPE_REDRIVE_POLICY;
  const via = options.via ?? 'schedule';
  const reason: SystemScopeReason =
    via === 'webhook' ? 'webhook.stripe-redrive' : 'schedule.redrive-stripe-events';
  const batchSize = options.batchSize ?? 50;
  const maxEvents = options.maxEvents ?? 1000;
  const receivedBefore = new Date(deps.clock.now().getTime() - policy.receivedGraceMs);
  const report: RedriveReport = { examined: 0, applied: [], waiting: [], gaveUp: [], skipped: 0, errors: 0 };

  let after: string | undefined;
  while (report.examined < maxEvents) {
    const page = await inStripeWebhookTransaction(
      deps.db,
      (repository) =>
        repository.waitingEventIds({
          receivedBefore,
          paymentIntentId: options.paymentIntentId,
          after,
          limit: Math.min(batchSize, maxEvents - report.examined),
        }),
      reason,
    );
    if (page.length === 0) break;
    after = page.at(-1);
    for (const rowId of page) {
      report.examined += 1;
      await redriveOne(deps, rowId, { policy, reason, via }, report);
    }
  }

  if (report.examined > 0) {
    deps.logger.info('stripe events re-driven', {
      via,
      paymentIntentId: options.paymentIntentId,
      examined: report.examined,
      applied: report.applied.length,
      waiting: report.waiting.length,
      gaveUp: report.gaveUp.length,
      skipped: report.skipped,
      errors: report.errors,
    });
  }
  return report;
}

async function redriveOne(
  deps: RedriveStripeEventsDeps,
  rowId: string,
  run: { policy: StripeRedrivePolicy; reason: SystemScopeReason; via: 'schedule' | 'webhook' },
  report: RedriveReport,
): Promise<void> {
  try {
    const result = await inStripeWebhookTransaction(
      deps.db,
      async (repository) => {
        const waiting = await repository.lockWaitingEvent(rowId);
        if (!waiting) return undefined;
        const decided = await applyRecordedStripeEvent(repository, waiting, deps.clock.now(), run.policy);
        return { event: waiting.event, decided };
      },
      run.reason,
    );
    if (!result) {
      report.skipped += 1;
      return;
    }
    const { event, decided } = result;
    logDecidedStripeEvent(deps.logger, event, decided, 'redrive');
    if (decided.giveUpReason !== null) {
      report.gaveUp.push({ stripeEventId: event.id, reason: decided.giveUpReason });
      deps.logger.error('stripe event given up', {
        stripeEventId: event.id,
        type: event.type,
        attempts: decided.attempts,
        reason: decided.giveUpReason,
      });
    } else if (decided.decision.status === 'failed') report.waiting.push(event.id);
    else report.applied.push(event.id);
    deps.metrics.add('StripeEventRedrives', 1, 'Count', {
      outcome: decided.giveUpReason !== null ? 'given_up' : decided.decision.status,
    });
  } catch (error) {
    // One event's trouble must not stop the others; it is still waiting, so the next run retries it.
    report.errors += 1;
    deps.logger.error('re-driving a stripe event failed', { stripeEventRowId: rowId, via: run.via, error });
    deps.metrics.add('StripeEventRedrives', 1, 'Count', { outcome: 'error' });
  }
}
