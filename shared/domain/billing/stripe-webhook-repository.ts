import { sql } from 'kysely';
import type { Database, DatabaseTransaction } from '../../db/database';
import { jsonb, type JsonObject, type StripeEventStatus } from '../../db/schema';
import { withSystemScope, type SystemScopeReason } from '../../db/tenant';
import type { LedgerDecision, LedgerEntry, RevocationFacts } from './ledger-decision';
import type { VerifiedStripeEvent } from './stripe-billing.port';

/**
 * The SQL of the Stripe webhook. It runs in system scope (`withSystemScope`, reason
 * `webhook.stripe`), not a tenant scope: the caller is Stripe, and an event names a customer
 * rather than a signed-in user, so these queries reach rows of any user (users, credit_packages,
 * credit_transactions, stripe_events) — always one event's rows, found by Stripe ids.
 *
 * Everything for one event happens in one transaction (`inStripeWebhookTransaction`), which is what
 * makes processing exactly-once: the event id is inserted first under a unique constraint, so a
 * concurrent delivery of the same event waits on that row and then sees it exists; a failure
 * before commit rolls the record back with the ledger row, and Stripe's retry starts afresh.
 * The re-drive (reason `schedule.redrive-stripe-events`) takes a recorded event's row lock
 * (`lockWaitingEvent`) before deciding it again, and the ledger row's idempotency key is the
 * event id, so a re-drive racing a delivery or another re-drive still writes at most one row.
 */
export async function inStripeWebhookTransaction<T>(
  db: Database,
  work: (repository: StripeWebhookRepository) => Promise<T>,
  reason: SystemScopeReason = 'webhook.stripe',
): Promise<T> {
  return withSystemScope(db, reason, (trx) => work(new StripeWebhookRepository(trx)));
}

/** A recorded event the re-drive may apply again, as stored. */
export interface WaitingStripeEvent {
  rowId: string;
  event: VerifiedStripeEvent;
  /** Decisions so far. */
  attempts: number;
  firstRecordedAt: Date;
}

export interface WaitingEventQuery {
  /** Events recorded (never decided) and untouched since before this are taken too. */
  receivedBefore: Date;
  /** Only refunds and disputes of this payment intent. */
  paymentIntentId?: string | undefined;
  /** The page after this event's row id (keyset on recording time, then row id). */
  after?: string | undefined;
  limit: number;
}

const WAITING_STATUSES = ['received', 'failed'] as const;

export class StripeWebhookRepository {
  constructor(private readonly trx: DatabaseTransaction) {}

  /** Records the event; undefined when its id was recorded before (a redelivery). */
  async recordEventOnce(event: VerifiedStripeEvent): Promise<{ id: string } | undefined> {
    return this.trx
      .insertInto('stripe_events')
      .values({
        stripe_event_id: event.id,
        type: event.type,
        livemode: event.livemode,
        payload: jsonb(event.payload),
        status: 'received',
      })
      .onConflict((oc) => oc.column('stripe_event_id').doNothing())
      .returning('id')
      .executeTakeFirst();
  }

  async eventStatus(stripeEventId: string): Promise<StripeEventStatus | undefined> {
    const row = await this.trx
      .selectFrom('stripe_events')
      .select('status')
      .where('stripe_event_id', '=', stripeEventId)
      .executeTakeFirst();
    return row?.status;
  }

  /** Row ids of events waiting for a re-drive, oldest first. */
  async waitingEventIds(query: WaitingEventQuery): Promise<string[]> {
    let select = this.trx
      .selectFrom('stripe_events')
      .select('id')
      .where('gave_up_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'failed'),
          eb.and([eb('status', '=', 'received'), eb('updated_at', '<', query.receivedBefore)]),
        ]),
      );
    if (query.after !== undefined) {
      // The cursor's timestamp is read in SQL: a JavaScript Date would drop its microseconds.
      select = select.where(
        sql<boolean>`(created_at, id) > (select c.created_at, c.id from stripe_events c where c.id = ${query.after}::uuid)`,
      );
    }
    if (query.paymentIntentId !== undefined) {
      // payment_intent is an id, or the expanded object when the endpoint expands it.
      select = select
        .where('type', 'in', ['charge.refunded', 'charge.dispute.created'])
        .where(
          sql<string>`coalesce(payload #>> '{data,object,payment_intent,id}', payload #>> '{data,object,payment_intent}')`,
          '=',
          query.paymentIntentId,
        );
    }
    const rows = await select.orderBy('created_at').orderBy('id').limit(query.limit).execute();
    return rows.map((row) => row.id);
  }

  /**
   * Locks a recorded event that still waits (received or failed, not given up); undefined when it
   * no longer does, or when another transaction holds it (a concurrent re-drive: it decides).
   */
  async lockWaitingEvent(rowId: string): Promise<WaitingStripeEvent | undefined> {
    const row = await this.trx
      .selectFrom('stripe_events')
      .select(['id', 'stripe_event_id', 'type', 'livemode', 'payload', 'attempts', 'created_at'])
      .where('id', '=', rowId)
      .where('status', 'in', WAITING_STATUSES)
      .where('gave_up_at', 'is', null)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = isObject(row.payload) ? row.payload : {};
    return {
      rowId: row.id,
      event: {
        id: row.stripe_event_id,
        type: row.type,
        livemode: row.livemode,
        created: typeof payload['created'] === 'number' ? payload['created'] : 0,
        payload,
      },
      attempts: row.attempts,
      firstRecordedAt: row.created_at,
    };
  }

  async findUser(userId: string): Promise<{ id: string; deleted: boolean } | undefined> {
    const row = await this.trx
      .selectFrom('users')
      .select(['id', 'deleted_at'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return row ? { id: row.id, deleted: row.deleted_at !== null } : undefined;
  }

  async findCreditPackage(
    packageId: string,
  ): Promise<{ id: string; key: string; name: string; credits: number } | undefined> {
    return this.trx
      .selectFrom('credit_packages')
      .select(['id', 'key', 'name', 'credits'])
      .where('id', '=', packageId)
      .executeTakeFirst();
  }

  /**
   * What a refund or dispute of `paymentIntentId` needs to know. Locks the buyer's row first so the
   * balance read here is still the balance when the ledger row is written.
   */
  async revocationFacts(paymentIntentId: string, disputeId: string | null): Promise<RevocationFacts> {
    const purchase = await this.trx
      .selectFrom('credit_transactions')
      .select(['user_id', 'package_id', 'amount', 'metadata'])
      .where('type', '=', 'purchase')
      .where('stripe_payment_intent_id', '=', paymentIntentId)
      .executeTakeFirst();
    if (!purchase) {
      return {
        purchase: undefined,
        revokedByRefunds: 0,
        revokedByDisputes: 0,
        disputeAlreadyApplied: false,
        balance: 0,
      };
    }
    const user = await this.trx
      .selectFrom('users')
      .select('credit_balance')
      .where('id', '=', purchase.user_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    // sum() of bigint is numeric: cast back so both drivers return a number.
    const revoked = await this.trx
      .selectFrom('credit_transactions')
      .select([
        sql<number>`coalesce(sum(-amount) filter (where stripe_dispute_id is null), 0)::bigint`.as(
          'by_refunds',
        ),
        sql<number>`coalesce(sum(-amount) filter (where stripe_dispute_id is not null), 0)::bigint`.as(
          'by_disputes',
        ),
        sql<boolean>`coalesce(bool_or(stripe_dispute_id = ${disputeId ?? ''}), false)`.as('dispute_applied'),
      ])
      .where('type', '=', 'adjustment')
      .where('amount', '<', 0)
      .where('stripe_payment_intent_id', '=', paymentIntentId)
      .executeTakeFirstOrThrow();
    const paid = isObject(purchase.metadata) ? purchase.metadata['amountPaidCents'] : undefined;
    return {
      purchase: {
        userId: purchase.user_id,
        packageId: purchase.package_id,
        credits: purchase.amount,
        amountPaidCents: typeof paid === 'number' ? paid : null,
      },
      revokedByRefunds: Number(revoked.by_refunds),
      revokedByDisputes: Number(revoked.by_disputes),
      disputeAlreadyApplied: disputeId !== null && revoked.dispute_applied === true,
      balance: user.credit_balance,
    };
  }

  /**
   * Appends the row; undefined when a unique Stripe id or the idempotency key says it is already
   * there (e.g. one Checkout session reported by two different events). The database computes
   * balance_after and the user's balance.
   */
  async appendLedgerEntry(entry: LedgerEntry): Promise<string | undefined> {
    const row = await this.trx
      .insertInto('credit_transactions')
      .values({
        user_id: entry.userId,
        type: entry.type,
        amount: entry.amount,
        description: entry.description,
        package_id: entry.packageId,
        stripe_checkout_session_id: entry.stripeCheckoutSessionId,
        stripe_payment_intent_id: entry.stripePaymentIntentId,
        stripe_refund_id: entry.stripeRefundId,
        stripe_dispute_id: entry.stripeDisputeId,
        idempotency_key: entry.idempotencyKey,
        metadata: jsonb(entry.metadata),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id;
  }

  /** Stores the decision, counts the attempt and, when `giveUpReason` is set, stops retries of the event. */
  async finishEvent(
    eventRowId: string,
    decision: Pick<LedgerDecision, 'status' | 'userId' | 'note'>,
    attempt: { at: Date; attempts: number; giveUpReason: string | null },
  ): Promise<void> {
    await this.trx
      .updateTable('stripe_events')
      .set({
        status: decision.status,
        user_id: decision.userId,
        error_message: decision.note,
        processed_at: attempt.at,
        attempts: attempt.attempts,
        last_attempt_at: attempt.at,
        gave_up_at: attempt.giveUpReason === null ? null : attempt.at,
        give_up_reason: attempt.giveUpReason,
      })
      .where('id', '=', eventRowId)
      .execute();
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
