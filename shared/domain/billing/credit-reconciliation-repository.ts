import { sql } from 'kysely';
import * as z from 'zod';
import type { Database, DatabaseTransaction } from '../../db/database';
import { CREDIT_TRANSACTION_TYPES, JOB_STATUSES, STRIPE_EVENT_STATUSES } from '../../db/schema';
import { withSystemScope } from '../../db/tenant';
import { recordAudit } from '../identity/audit/record-audit';
import type {
  CreditDrift,
  FinishedJobFacts,
  UserBalanceFacts,
  WaitingStripeEventFacts,
} from './credit-reconciliation';

/**
 * The SQL of the credit reconciliation. It reads every user's ledger, so it runs in system scope
 * (`schedule.reconcile-credits`), a page per transaction. Each page is one statement, so a
 * user's balance and ledger (or a job and its entries) are read from one snapshot even while
 * ledger writes go on.
 */
export async function inReconciliationTransaction<T>(
  db: Database,
  work: (repository: CreditReconciliationRepository) => Promise<T>,
): Promise<T> {
  return withSystemScope(db, 'schedule.reconcile-credits', (trx) =>
    work(new CreditReconciliationRepository(trx)),
  );
}

/** Drivers return int8 as a number or a string: either way it must be an integer. */
const int = z.coerce.number().int();
const timestamp = z.coerce.date();

const userRow = z
  .object({
    id: z.string(),
    credit_balance: int,
    ledger_sum: int,
    entries: int,
    latest_balances_after: z.array(int),
  })
  .transform((row): UserBalanceFacts => ({
    userId: row.id,
    balance: row.credit_balance,
    ledgerSum: row.ledger_sum,
    entries: row.entries,
    latestBalancesAfter: row.latest_balances_after,
  }));

const jobRow = z
  .object({
    id: z.string(),
    user_id: z.string(),
    status: z.enum(JOB_STATUSES),
    estimated_credits: int,
    charged_credits: int,
    created_at: timestamp,
    entries: z.array(
      z.object({
        key: z.string(),
        type: z.enum(CREDIT_TRANSACTION_TYPES),
        amount: int,
        jobId: z.string().nullable(),
      }),
    ),
  })
  .transform((row): FinishedJobFacts => ({
    jobId: row.id,
    userId: row.user_id,
    status: row.status,
    estimatedCredits: row.estimated_credits,
    chargedCredits: row.charged_credits,
    createdAt: row.created_at,
    entries: row.entries.map(({ key, ...entry }) => ({ idempotencyKey: key, ...entry })),
  }));

const eventRow = z
  .object({
    id: z.string(),
    stripe_event_id: z.string(),
    type: z.string(),
    status: z.enum(STRIPE_EVENT_STATUSES),
    user_id: z.string().nullable(),
    attempts: int,
    created_at: timestamp,
    gave_up_at: timestamp.nullable(),
    error_message: z.string().nullable(),
  })
  .transform((row): WaitingStripeEventFacts => ({
    rowId: row.id,
    stripeEventId: row.stripe_event_id,
    type: row.type,
    status: row.status,
    userId: row.user_id,
    attempts: row.attempts,
    createdAt: row.created_at,
    givenUp: row.gave_up_at !== null,
    errorMessage: row.error_message,
  }));

/** `column > id` for the next page, or no condition for the first (cast: the Data API binds strings as varchar). */
function after(column: string, id: string | undefined) {
  return id === undefined ? sql`true` : sql`${sql.ref(column)} > ${id}::uuid`;
}

export class CreditReconciliationRepository {
  constructor(private readonly trx: DatabaseTransaction) {}

  /** Users after `afterUserId` (id order) with their ledger's sum and latest balance_after. */
  async userBalances(afterUserId: string | undefined, limit: number): Promise<UserBalanceFacts[]> {
    const result = await sql<unknown>`
      SELECT u.id, u.credit_balance,
             coalesce(agg.total, 0)::bigint AS ledger_sum,
             coalesce(agg.entries, 0)::int AS entries,
             coalesce((SELECT jsonb_agg(l.balance_after) FROM credit_transactions l
                        WHERE l.user_id = u.id AND l.created_at = agg.last_at), '[]'::jsonb) AS latest_balances_after
        FROM users u
        LEFT JOIN LATERAL (
          SELECT sum(t.amount) AS total, count(*) AS entries, max(t.created_at) AS last_at
            FROM credit_transactions t WHERE t.user_id = u.id
        ) agg ON true
       WHERE ${after('u.id', afterUserId)}
       ORDER BY u.id
       LIMIT ${limit}`.execute(this.trx);
    return result.rows.map((raw) => userRow.parse(raw));
  }

  /** Finished jobs after `afterJobId` (id order) with every ledger entry under their keys or naming them. */
  async finishedJobs(afterJobId: string | undefined, limit: number): Promise<FinishedJobFacts[]> {
    const result = await sql<unknown>`
      SELECT j.id, j.user_id, j.status, j.estimated_credits, j.charged_credits, j.created_at,
             coalesce((SELECT jsonb_agg(jsonb_build_object(
                                'key', t.idempotency_key, 'type', t.type, 'amount', t.amount, 'jobId', t.job_id))
                         FROM credit_transactions t
                        WHERE t.job_id = j.id
                           OR t.idempotency_key IN ('job-reserve:' || j.id::text, 'job-settle:' || j.id::text)),
                      '[]'::jsonb) AS entries
        FROM jobs j
       WHERE j.status IN ('completed', 'failed', 'cancelled')
         AND ${after('j.id', afterJobId)}
       ORDER BY j.id
       LIMIT ${limit}`.execute(this.trx);
    return result.rows.map((raw) => jobRow.parse(raw));
  }

  /** When the ledger first reserved credits for a job; null when it never has. */
  async firstJobReservationAt(): Promise<Date | null> {
    const row = await this.trx
      .selectFrom('credit_transactions')
      .select((eb) => eb.fn.min('created_at').as('first'))
      .where('job_id', 'is not', null)
      .where('type', '=', 'consumption')
      .executeTakeFirst();
    return row?.first ? timestamp.parse(row.first) : null;
  }

  /** Events still waiting (received or failed, not given up) recorded before `before`, oldest first. */
  async waitingStripeEventsBefore(before: Date, limit: number): Promise<WaitingStripeEventFacts[]> {
    const rows = await this.trx
      .selectFrom('stripe_events')
      .select([
        'id',
        'stripe_event_id',
        'type',
        'status',
        'user_id',
        'attempts',
        'created_at',
        'gave_up_at',
        'error_message',
      ])
      .where('status', 'in', ['received', 'failed'])
      .where('gave_up_at', 'is', null)
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((raw) => eventRow.parse(raw));
  }

  /** One audit entry per drifted user, job or event, by the platform (no actor). */
  async recordDrift(drift: CreditDrift): Promise<void> {
    await recordAudit(this.trx, {
      actorId: null,
      action: 'billing.reconciliation.drift',
      resourceType: drift.resource.type,
      resourceId: drift.resource.id,
      changes: { kind: drift.kind, userId: drift.userId, problems: drift.problems, facts: drift.facts },
    });
  }
}
