import type { ScheduledEvent } from 'aws-lambda';
import {
  reconcileCredits,
  type ReconcileCreditsOptions,
  type ReconciliationReport,
} from '../../../shared/domain/billing/reconcile-credits';
import {
  redriveStripeEvents,
  type RedriveReport,
} from '../../../shared/domain/billing/redrive-stripe-events';
import type { StripeRedrivePolicy } from '../../../shared/domain/billing/stripe-event-retry-policy';
import type { Services } from '../../../shared/ports/services';

/** What the billing sweep uses of the services. */
export type SweepBillingServices = Pick<Services, 'db' | 'clock' | 'logger' | 'metrics'>;

export interface SweepBillingOptions {
  policy?: StripeRedrivePolicy;
  reconciliation?: Omit<ReconcileCreditsOptions, 'policy'>;
}

export interface SweepBillingReport {
  redrive: RedriveReport;
  reconciliation: ReconciliationReport;
}

/**
 * The daily billing sweep (EventBridge rule in schedules-stack.ts; locally the scheduler's
 * `sweep-billing`): first re-drives the Stripe events recorded but not applied, then reconciles
 * the credit ledger — in that order, so an event the re-drive just settled is not reported stuck.
 */
export function makeSweepBillingHandler(
  getServices: () => SweepBillingServices | Promise<SweepBillingServices>,
  options: SweepBillingOptions = {},
): (event?: ScheduledEvent<Record<string, unknown>>) => Promise<SweepBillingReport> {
  const policy = options.policy ? { policy: options.policy } : {};
  return async () => {
    const services = await getServices();
    try {
      const redrive = await redriveStripeEvents(services, { via: 'schedule', ...policy });
      const reconciliation = await reconcileCredits(services, { ...options.reconciliation, ...policy });
      return { redrive, reconciliation };
    } finally {
      services.metrics.flush();
    }
  };
}
