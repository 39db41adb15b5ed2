import { describe, expect, it } from 'vitest';
import type { LedgerDecision } from '../../../../../shared/domain/billing/ledger-decision';
import {
  giveUpReason,
  STRIPE_REDRIVE_POLICY,
  stuckEventCutoff,
  type StripeRedrivePolicy,
} from '../../../../../shared/domain/billing/stripe-event-retry-policy';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const RECORDED = new Date('2026-12-01T10:00:00Z');
const policy: StripeRedrivePolicy = {
  maxAttempts: 5,
  maxAgeMs: 3 * DAY,
  receivedGraceMs: 300_000,
  sweepIntervalMs: DAY,
};

type Decision = Pick<LedgerDecision, 'status' | 'retryable' | 'note'>;
const waitingForPurchase: Decision = {
  status: 'failed',
  retryable: true,
  note: 'refund of charge ch_1: no purchase recorded for payment intent pi_1',
};
const unknownPackage: Decision = {
  status: 'failed',
  retryable: false,
  note: 'checkout session cs_1: credit package 9a8b… does not exist',
};

interface Row {
  name: string;
  decision: Decision;
  attempts: number;
  ageMs: number;
  /** null: keep retrying (or nothing to retry). */
  reason: RegExp | null;
}

const table: Row[] = [
  {
    name: 'a processed event is done',
    decision: { status: 'processed', retryable: false, note: null },
    attempts: 1,
    ageMs: 0,
    reason: null,
  },
  {
    name: 'an ignored event is done, however old',
    decision: { status: 'ignored', retryable: false, note: 'x' },
    attempts: 9,
    ageMs: 30 * DAY,
    reason: null,
  },
  {
    name: 'a refund waiting for its purchase is retried',
    decision: waitingForPurchase,
    attempts: 1,
    ageMs: 0,
    reason: null,
  },
  {
    name: 'it is still retried one attempt and one second short of the bounds',
    decision: waitingForPurchase,
    attempts: 4,
    ageMs: 3 * DAY - 1000,
    reason: null,
  },
  {
    name: 'a permanent failure is given up on its first attempt',
    decision: unknownPackage,
    attempts: 1,
    ageMs: 0,
    reason: /^not retried, applying it again cannot succeed: checkout session cs_1: credit package/,
  },
  {
    name: 'a retryable failure is given up after the last attempt',
    decision: waitingForPurchase,
    attempts: 5,
    ageMs: HOUR,
    reason: /^gave up after 5 attempts: refund of charge ch_1: no purchase recorded/,
  },
  {
    name: 'a retryable failure is given up once it is three days old',
    decision: waitingForPurchase,
    attempts: 3,
    ageMs: 3 * DAY,
    reason: /^gave up after 3 days of retries \(3 attempts\): refund of charge ch_1/,
  },
];

describe('giving up on a Stripe event', () => {
  it.each(table)('$name', ({ decision, attempts, ageMs, reason }) => {
    const now = new Date(RECORDED.getTime() + ageMs);
    const verdict = giveUpReason(decision, { attempts, firstRecordedAt: RECORDED, now }, policy);
    if (reason === null) expect(verdict).toBeNull();
    else expect(verdict).toMatch(reason);
  });

  it('gives the re-drive three days by default, as long as Stripe retries a webhook', () => {
    expect(STRIPE_REDRIVE_POLICY.maxAgeMs).toBe(3 * DAY);
    const now = new Date(RECORDED.getTime() + 3 * DAY);
    expect(giveUpReason(waitingForPurchase, { attempts: 2, firstRecordedAt: RECORDED, now })).toMatch(
      /after 3 days/,
    );
  });
});

describe('when a waiting event counts as stuck', () => {
  it('is after the re-drive had its whole window plus one sweep to give up', () => {
    const now = new Date('2026-12-10T03:17:00Z');
    expect(stuckEventCutoff(now, policy)).toEqual(new Date(now.getTime() - 4 * DAY));
  });
});
