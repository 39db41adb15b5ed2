import { sql } from 'kysely';
import type { Database } from '../../../db/database';
import { withOwner, type Owner } from '../../../db/owner-filter';
import { newestFirst, positionOf, POSITION, toPage } from '../../../db/page-cursor';
import type { CreditPackageTierRestriction, CreditTransactionType, UserTier } from '../../../db/schema';
import { ConflictError, NotFoundError } from '../../../kernel/app-error';
import type { CheckoutSession, CheckoutSessionCreator } from '../stripe-billing.port';
import { BillingNotConfiguredError } from '../billing-errors';

/**
 * A user's side of the credit ledger: the balance and where it came from, the entries one page at
 * a time, the packages they may buy, and a Stripe Checkout session to buy one. Reads only the
 * caller's own rows (tenant scope), like every other read.
 */

export interface CreditBalance {
  /** What can be spent now (users.credit_balance: the ledger's running total). */
  available: number;
  /** Bought with Stripe, net of refunds and disputes. */
  purchased: number;
  /** Granted: welcome credits, admin grants. */
  granted: number;
  /** Held by jobs that have not finished yet. */
  reservedInFlight: number;
  /** Paid for finished jobs and metered predictions. */
  spent: number;
}

const UNFINISHED = ['queued', 'running'] as const;

export async function getCreditBalance(db: Database, caller: Owner): Promise<CreditBalance> {
  return withOwner(db, caller, async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('credit_balance')
      .where('id', '=', caller.userId)
      .executeTakeFirst();
    const sums = await trx
      .selectFrom('credit_transactions as t')
      .leftJoin('jobs as j', 'j.id', 't.job_id')
      .where('t.user_id', '=', caller.userId)
      .select([
        sql<string>`coalesce(sum(t.amount) filter (where t.type = 'purchase' or (t.type = 'adjustment' and (t.stripe_refund_id is not null or t.stripe_dispute_id is not null))), 0)::text`.as(
          'purchased',
        ),
        sql<string>`coalesce(sum(t.amount) filter (where t.type = 'grant' or (t.type = 'adjustment' and t.stripe_refund_id is null and t.stripe_dispute_id is null)), 0)::text`.as(
          'granted',
        ),
        sql<string>`coalesce(-sum(t.amount) filter (where t.job_id is not null and j.status in (${sql.join(
          UNFINISHED.map((s) => sql.lit(s)),
        )})), 0)::text`.as('reserved'),
        sql<string>`coalesce(-sum(t.amount) filter (where t.type in ('consumption', 'refund') and (t.job_id is null or j.status not in (${sql.join(
          UNFINISHED.map((s) => sql.lit(s)),
        )}))), 0)::text`.as('spent'),
      ])
      .executeTakeFirstOrThrow();
    return {
      available: Number(user?.credit_balance ?? 0),
      purchased: Number(sums.purchased),
      granted: Number(sums.granted),
      reservedInFlight: Number(sums.reserved),
      spent: Number(sums.spent),
    };
  });
}

export interface CreditTransactionView {
  id: string;
  type: CreditTransactionType;
  /** Signed: credits in are positive, credits out negative. */
  amount: number;
  balanceAfter: number;
  description: string | null;
  createdAt: string;
  jobId: string | null;
  packageId: string | null;
  stripe: {
    checkoutSessionId: string | null;
    paymentIntentId: string | null;
    refundId: string | null;
    disputeId: string | null;
  } | null;
  links: { job?: string; package?: string };
}

export interface CreditTransactionFilter {
  type?: CreditTransactionType | undefined;
  jobId?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listCreditTransactions(
  db: Database,
  caller: Owner,
  filter: CreditTransactionFilter,
): Promise<{ items: CreditTransactionView[]; nextCursor: string | null }> {
  return withOwner(db, caller, async (trx) => {
    let query = trx
      .selectFrom('credit_transactions')
      .select([
        'id',
        'type',
        'amount',
        'balance_after',
        'description',
        'created_at',
        'job_id',
        'package_id',
        'stripe_checkout_session_id',
        'stripe_payment_intent_id',
        'stripe_refund_id',
        'stripe_dispute_id',
      ])
      .select(positionOf('created_at').as(POSITION))
      .where('user_id', '=', caller.userId);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.jobId !== undefined) query = query.where('job_id', '=', filter.jobId);
    const rows = await newestFirst(query, filter.cursor, filter.limit + 1).execute();
    return toPage(rows, filter.limit, (row): CreditTransactionView => {
      const stripe =
        row.stripe_checkout_session_id ||
        row.stripe_payment_intent_id ||
        row.stripe_refund_id ||
        row.stripe_dispute_id
          ? {
              checkoutSessionId: row.stripe_checkout_session_id,
              paymentIntentId: row.stripe_payment_intent_id,
              refundId: row.stripe_refund_id,
              disputeId: row.stripe_dispute_id,
            }
          : null;
      return {
        id: row.id,
        type: row.type,
        amount: Number(row.amount),
        balanceAfter: Number(row.balance_after),
        description: row.description,
        createdAt: new Date(row.created_at).toISOString(),
        jobId: row.job_id,
        packageId: row.package_id,
        stripe,
        links: {
          ...(row.job_id ? { job: `/jobs/${row.job_id}` } : {}),
          ...(row.package_id ? { package: `/credit-packages#${row.package_id}` } : {}),
        },
      };
    });
  });
}

export interface CreditPackageView {
  id: string;
  key: string;
  name: string;
  description: string;
  credits: number;
  priceCents: number;
  currency: string;
  /** False until an operator sets the package's Stripe price: Checkout refuses it until then. */
  purchasable: boolean;
}

/** Which tier restrictions a tier may buy. */
function restrictionsFor(tier: UserTier): CreditPackageTierRestriction[] {
  if (tier === 'enterprise') return ['none', 'enterprise_only', 'pro_only'];
  if (tier === 'pro') return ['none', 'pro_only'];
  return ['none'];
}

async function callerTier(db: Database, caller: Owner): Promise<UserTier> {
  return withOwner(db, caller, async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select('tier')
      .where('id', '=', caller.userId)
      .executeTakeFirst();
    return user?.tier ?? 'free';
  });
}

export async function listCreditPackages(db: Database, caller: Owner): Promise<CreditPackageView[]> {
  const tier = await callerTier(db, caller);
  const rows = await withOwner(db, caller, (trx) =>
    trx
      .selectFrom('credit_packages')
      .selectAll()
      .where('is_active', '=', true)
      .where('tier_restriction', 'in', restrictionsFor(tier))
      .orderBy('sort_order')
      .orderBy('credits')
      .execute(),
  );
  return rows.map((row) => ({
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    credits: Number(row.credits),
    priceCents: row.price_cents,
    currency: row.currency,
    purchasable: row.stripe_price_id !== null,
  }));
}

export interface StartCheckoutInput {
  packageId: string;
  /** The request's Idempotency-Key (or one derived from the request), sent to Stripe. */
  idempotencyKey: string;
  successUrl: string;
  cancelUrl: string;
}

/**
 * A Stripe Checkout session for one of the packages the caller may buy. Stripe sends the buyer
 * back to the success or cancel URL; the credits arrive with the `checkout.session.completed`
 * webhook (never from the redirect, which a buyer could fake).
 */
export async function startCheckout(
  db: Database,
  checkout: CheckoutSessionCreator | undefined,
  missing: string | undefined,
  caller: Owner,
  input: StartCheckoutInput,
): Promise<CheckoutSession & { packageId: string; credits: number }> {
  if (!checkout) throw new BillingNotConfiguredError(missing ?? 'no Stripe secret key is set');
  const tier = await callerTier(db, caller);
  const { pack, email } = await withOwner(db, caller, async (trx) => ({
    pack: await trx
      .selectFrom('credit_packages')
      .selectAll()
      .where('id', '=', input.packageId)
      .where('is_active', '=', true)
      .executeTakeFirst(),
    email: (await trx.selectFrom('users').select('email').where('id', '=', caller.userId).executeTakeFirst())
      ?.email,
  }));
  if (!pack || !restrictionsFor(tier).includes(pack.tier_restriction))
    throw new NotFoundError('Credit package', input.packageId);
  if (!pack.stripe_price_id)
    throw new ConflictError(
      'CREDITS.PACKAGE_NOT_PURCHASABLE',
      `The package "${pack.name}" has no Stripe price yet, so it cannot be bought: choose another package from GET /credit-packages (purchasable: true).`,
      { field: 'body.packageId' },
    );
  const session = await checkout.createCheckoutSession({
    userId: caller.userId,
    packageId: pack.id,
    stripePriceId: pack.stripe_price_id,
    ...(email ? { customerEmail: email } : {}),
    successUrl: input.successUrl,
    cancelUrl: input.cancelUrl,
    idempotencyKey: `checkout:${caller.userId}:${input.idempotencyKey}`,
  });
  return { ...session, packageId: pack.id, credits: Number(pack.credits) };
}
