import { describe, expect, it } from 'vitest';
import {
  countDrift,
  jobCreditsDrift,
  stuckStripeEventDrift,
  userBalanceDrift,
  type CreditDrift,
  type FinishedJobFacts,
  type JobLedgerEntry,
  type UserBalanceFacts,
  type WaitingStripeEventFacts,
} from '../../../../../shared/domain/billing/credit-reconciliation';

const USER = '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';
const JOB = '5d0e6c1a-2b3c-4d5e-8f60-718293a4b5c6';
const OTHER_JOB = '7a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d';
const CUTOVER = new Date('2026-11-01T00:00:00Z');
const AFTER_CUTOVER = new Date('2026-11-20T12:00:00Z');

/** No drift when no problem is expected; otherwise drift of that subject with exactly these problems, in order. */
function expectDrift(drift: CreditDrift | null, subject: Partial<CreditDrift>, problems: RegExp[]): void {
  if (problems.length === 0) {
    expect(drift).toBeNull();
    return;
  }
  expect(drift).toMatchObject(subject);
  expect(drift?.problems).toHaveLength(problems.length);
  problems.forEach((problem, i) => expect(drift?.problems[i]).toMatch(problem));
}

describe('a user balance against the ledger', () => {
  const clean: UserBalanceFacts = {
    userId: USER,
    balance: 70,
    ledgerSum: 70,
    entries: 3,
    latestBalancesAfter: [70],
  };
  const rows: { name: string; facts: UserBalanceFacts; problems: RegExp[] }[] = [
    { name: 'adds up', facts: clean, problems: [] },
    {
      name: 'a user with no entries and no balance adds up',
      facts: { userId: USER, balance: 0, ledgerSum: 0, entries: 0, latestBalancesAfter: [] },
      problems: [],
    },
    {
      name: 'entries written in one transaction share the latest time: the last one counts',
      facts: { ...clean, latestBalancesAfter: [100, 70] },
      problems: [],
    },
    {
      name: 'a balance that is not the sum of the entries',
      facts: { ...clean, balance: 90, latestBalancesAfter: [90] },
      problems: [/credit_balance is 90 but the user's 3 ledger entries add up to 70/],
    },
    {
      name: 'a latest balance_after that is not the balance',
      facts: { ...clean, latestBalancesAfter: [60] },
      problems: [/latest ledger entry says balance_after 60/],
    },
    {
      name: 'a balance without any entry',
      facts: { userId: USER, balance: 5, ledgerSum: 0, entries: 0, latestBalancesAfter: [] },
      problems: [/credit_balance is 5 but the user's 0 ledger entries add up to 0/],
    },
  ];
  it.each(rows)('$name', ({ facts, problems }) => {
    const subject = { kind: 'user_balance', resource: { type: 'user', id: USER }, userId: USER } as const;
    expectDrift(userBalanceDrift(facts), subject, problems);
  });
});

describe('a finished job against its reservation and settlement', () => {
  /** A job's reservation or settlement entry, as the ledger credits adapter writes it unless overridden. */
  const entry =
    (kind: 'reserve' | 'settle') =>
    (amount: number, overrides: Partial<JobLedgerEntry> = {}): JobLedgerEntry => ({
      idempotencyKey: `job-${kind}:${JOB}`,
      type: kind === 'reserve' ? 'consumption' : 'refund',
      amount,
      jobId: JOB,
      ...overrides,
    });
  const reserve = entry('reserve');
  const settle = entry('settle');
  const job = (overrides: Partial<FinishedJobFacts>): FinishedJobFacts => ({
    jobId: JOB,
    userId: USER,
    status: 'completed',
    estimatedCredits: 10,
    chargedCredits: 7,
    createdAt: AFTER_CUTOVER,
    entries: [reserve(-10), settle(3)],
    ...overrides,
  });
  const rows: { name: string; facts: FinishedJobFacts; since?: Date | null; problems: RegExp[] }[] = [
    { name: 'reserved 10, gave back 3, charged 7', facts: job({}), problems: [] },
    {
      name: 'used everything it reserved: no settlement entry',
      facts: job({ chargedCredits: 10, entries: [reserve(-10)] }),
      problems: [],
    },
    {
      name: 'cancelled and refunded in full',
      facts: job({ status: 'cancelled', chargedCredits: 0, entries: [reserve(-10), settle(10)] }),
      problems: [],
    },
    {
      name: 'an estimate of zero reserves nothing',
      facts: job({ estimatedCredits: 0, chargedCredits: 0, entries: [] }),
      problems: [],
    },
    {
      name: 'a job from before the ledger reserved for jobs has no entries by design',
      facts: job({ createdAt: new Date('2026-10-01T00:00:00Z'), chargedCredits: 0, entries: [] }),
      problems: [],
    },
    {
      name: 'no job has reserved yet: nothing is expected',
      facts: job({ chargedCredits: 0, entries: [] }),
      since: null,
      problems: [],
    },
    {
      name: 'charged_credits that disagrees with the entries',
      facts: job({ chargedCredits: 9 }),
      problems: [/charged_credits is 9 but the ledger took 10 reserved − 3 refunded = 7/],
    },
    {
      name: 'a job that ran without its reservation',
      facts: job({ chargedCredits: 0, entries: [] }),
      problems: [/no reservation \(job-reserve:.*\) although the job was estimated at 10 credits/],
    },
    {
      name: 'a settlement without a reservation',
      facts: job({ estimatedCredits: 0, chargedCredits: 0, entries: [settle(3)] }),
      problems: [
        /a settlement without a reservation/,
        /3 credits refunded but only 0 reserved/,
        /charged_credits is 0/,
      ],
    },
    {
      name: 'more refunded than reserved',
      facts: job({ chargedCredits: 0, entries: [reserve(-10), settle(12)] }),
      problems: [
        /12 credits refunded but only 10 reserved/,
        /charged_credits is 0 but the ledger took 10 reserved − 12 refunded = -2/,
      ],
    },
    {
      name: 'two reservations (the ledger key is unique: only a rule broken elsewhere could do this)',
      facts: job({ chargedCredits: 17, entries: [reserve(-10), reserve(-10), settle(3)] }),
      problems: [/2 reservation entries under job-reserve:/],
    },
    {
      name: 'a reservation of the wrong type, or naming another job',
      facts: job({ entries: [reserve(-10, { type: 'adjustment', jobId: OTHER_JOB }), settle(3)] }),
      problems: [
        /the reservation entry is a adjustment of -10, not a consumption/,
        new RegExp(`names job ${OTHER_JOB}`),
      ],
    },
    {
      name: 'a settlement that takes credits instead of giving them back',
      facts: job({ chargedCredits: 13, entries: [reserve(-10), settle(-3, { type: 'adjustment' })] }),
      problems: [/the settlement entry is a adjustment of -3, not a refund/],
    },
    {
      name: 'another entry naming the job',
      facts: job({
        entries: [
          reserve(-10),
          settle(3),
          { idempotencyKey: 'job:x:charge', type: 'consumption', amount: -2, jobId: JOB },
        ],
      }),
      problems: [/1 other ledger entry names the job \(consumption -2 under job:x:charge\)/],
    },
  ];
  it.each(rows)('$name', ({ facts, since, problems }) => {
    const subject = { kind: 'job_credits', resource: { type: 'job', id: JOB }, userId: USER } as const;
    expectDrift(jobCreditsDrift(facts, since === undefined ? CUTOVER : since), subject, problems);
  });
});

describe('a Stripe event the re-drive left waiting', () => {
  const cutoff = new Date('2026-12-06T03:17:00Z');
  const event: WaitingStripeEventFacts = {
    rowId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    stripeEventId: 'evt_1',
    type: 'charge.refunded',
    status: 'failed',
    userId: null,
    attempts: 4,
    createdAt: new Date('2026-12-01T10:00:00Z'),
    givenUp: false,
    errorMessage: 'no purchase recorded for payment intent pi_1',
  };
  it('is stuck when it was recorded before the cutoff and neither applied nor given up', () => {
    expect(stuckStripeEventDrift(event, cutoff)).toMatchObject({
      kind: 'stripe_event_stuck',
      resource: { type: 'stripe_event', id: event.rowId },
      problems: [
        'Stripe event evt_1 (charge.refunded) is still failed after 4 attempts since 2026-12-01T10:00:00.000Z: no purchase recorded for payment intent pi_1',
      ],
    });
  });
  it.each([
    { name: 'still within the window', facts: { ...event, createdAt: cutoff } },
    { name: 'given up (with its reason)', facts: { ...event, givenUp: true } },
    { name: 'applied', facts: { ...event, status: 'processed' as const } },
  ])('is not stuck when $name', ({ facts }) => {
    expect(stuckStripeEventDrift(facts, cutoff)).toBeNull();
  });
});

describe('drift counts', () => {
  it('has every kind, zero when nothing was found', () => {
    expect(countDrift([])).toEqual({ user_balance: 0, job_credits: 0, stripe_event_stuck: 0 });
    expect(countDrift([{ kind: 'job_credits' }, { kind: 'job_credits' }, { kind: 'user_balance' }])).toEqual({
      user_balance: 1,
      job_credits: 2,
      stripe_event_stuck: 0,
    });
  });
});
