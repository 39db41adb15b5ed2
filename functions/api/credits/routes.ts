import * as z from 'zod';
import { CREDIT_TRANSACTION_TYPES } from '../../../shared/db/schema';
import {
  getCreditBalance,
  listCreditPackages,
  listCreditTransactions,
  startCheckout,
} from '../../../shared/domain/billing/credits/credit-account';
import type { StripeBilling } from '../../../shared/domain/billing/stripe-billing.port';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { callerOwnScope, pageQueryFields, uuidField } from '../../../shared/http/route-fields';
import { idempotencyKeyOf } from '../../../shared/kernel/idempotency-key';
import type { Services } from '../../../shared/ports/services';
import { MARKUP, USD_PER_CREDIT } from '../../../shared/domain/billing/compute-cost';

/**
 * `credits`: what the caller can spend and where it came from, the ledger's entries, the credit
 * packages they may buy, and a Stripe Checkout session to buy one. Credits arrive with Stripe's
 * signed `checkout.session.completed` webhook (POST /webhooks/stripe), never from the redirect.
 */

const balanceSchema = z
  .object({
    available: z.number().int().meta({ description: 'What can be spent now' }),
    purchased: z.number().int().meta({ description: 'Bought with Stripe, net of refunds and disputes' }),
    granted: z.number().int().meta({ description: 'Welcome credits and grants' }),
    reservedInFlight: z.number().int().meta({ description: 'Held by jobs that have not finished' }),
    spent: z.number().int().meta({ description: 'Paid for finished jobs and metered predictions' }),
    creditValue: z.object({
      usd: z.number().meta({ description: 'What one credit costs a buyer' }),
      markup: z.number().meta({ description: 'Price over AWS list price of the compute a run uses' }),
    }),
  })
  .meta({ id: 'CreditBalance' });

const transactionSchema = z
  .object({
    id: z.string(),
    type: z.enum(CREDIT_TRANSACTION_TYPES),
    amount: z.number().int().meta({ description: 'Signed: credits in are positive, out negative' }),
    balanceAfter: z.number().int(),
    description: z.string().nullable(),
    createdAt: z.string(),
    jobId: z.string().nullable(),
    packageId: z.string().nullable(),
    stripe: z
      .object({
        checkoutSessionId: z.string().nullable(),
        paymentIntentId: z.string().nullable(),
        refundId: z.string().nullable(),
        disputeId: z.string().nullable(),
      })
      .nullable(),
    links: z.object({ job: z.string().optional(), package: z.string().optional() }),
  })
  .meta({ id: 'CreditTransaction' });

const packageSchema = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    credits: z.number().int(),
    priceCents: z.number().int(),
    currency: z.string(),
    purchasable: z.boolean().meta({ description: 'False until its Stripe price is configured' }),
  })
  .meta({ id: 'CreditPackage' });

const checkoutSchema = z
  .object({
    checkoutSessionId: z.string(),
    url: z.string().meta({ description: 'Send the buyer here (Stripe Checkout)' }),
    expiresAt: z.string(),
    packageId: z.string(),
    credits: z.number().int(),
  })
  .meta({ id: 'CreditCheckout' });

export interface CreditRouteOptions {
  /** The Stripe parts for a request's services; by default the configured keys. */
  stripe?: (services: Services) => Promise<StripeBilling>;
}

/** Loaded on first use, so reading a balance never loads the Stripe SDK. */
async function configuredStripe(services: Services): Promise<StripeBilling> {
  const { stripeBillingFor } = await import('../../../shared/adapters/stripe/stripe-config');
  return stripeBillingFor(services.config);
}

export function createCreditRoutes(options: CreditRouteOptions = {}): RouteSpec[] {
  const stripeFor = options.stripe ?? configuredStripe;
  return [
    defineRoute({
      method: 'GET',
      path: '/credits',
      group: 'credits',
      operationId: 'getCredits',
      summary: 'Your credit balance',
      description:
        'What you can spend, where it came from (purchases, grants), what running jobs hold, and what one credit is worth.',
      tags: ['credits'],
      auth: 'user',
      responses: { 200: { description: 'The balance', schema: balanceSchema } },
      async handle(request, services) {
        const balance = await getCreditBalance(services.db, callerOwnScope(request));
        return {
          status: 200,
          headers: { 'cache-control': 'no-store' },
          body: { ...balance, creditValue: { usd: USD_PER_CREDIT, markup: MARKUP } },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/credits/transactions',
      group: 'credits',
      operationId: 'listCreditTransactions',
      summary: 'Your ledger entries, newest first',
      description:
        'Purchases, grants, job reservations (consumption) and settlements (refund), Stripe refunds and disputes (adjustment). Each links its job or package. `limit` per page; pass `nextCursor` back as `cursor`.',
      tags: ['credits'],
      auth: 'user',
      request: {
        query: z.object({
          ...pageQueryFields(100),
          type: z.enum(CREDIT_TRANSACTION_TYPES).optional(),
          jobId: uuidField().optional(),
        }),
      },
      responses: {
        200: {
          description: 'One page of entries',
          schema: z
            .object({ items: z.array(transactionSchema), nextCursor: z.string().nullable() })
            .meta({ id: 'CreditTransactionPage' }),
        },
      },
      async handle(request, services) {
        const page = await listCreditTransactions(services.db, callerOwnScope(request), {
          type: request.query.type,
          jobId: request.query.jobId,
          cursor: request.query.cursor,
          limit: request.query.limit ?? 50,
        });
        return { status: 200, headers: { 'cache-control': 'no-store' }, body: page };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/credit-packages',
      group: 'credits',
      operationId: 'listCreditPackages',
      summary: 'The credit packages you can buy',
      description: 'Active packages for your tier, cheapest first. Buy one with POST /credits/checkout.',
      tags: ['credits'],
      auth: 'user',
      responses: {
        200: {
          description: 'The packages',
          schema: z.object({ items: z.array(packageSchema) }).meta({ id: 'CreditPackageList' }),
        },
      },
      async handle(request, services) {
        return {
          status: 200,
          body: { items: await listCreditPackages(services.db, callerOwnScope(request)) },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/credits/checkout',
      group: 'credits',
      operationId: 'createCreditCheckout',
      summary: 'Buy a credit package with Stripe Checkout',
      description:
        'Creates a Stripe Checkout session for the package and answers its URL. The credits are added when Stripe’s signed `checkout.session.completed` webhook arrives. The same Idempotency-Key returns the same session. Without Stripe configured the answer is 503 BILLING.NOT_CONFIGURED, naming what to set.',
      tags: ['credits'],
      auth: 'user',
      idempotency: { mode: 'stored' },
      request: {
        body: z.strictObject({
          packageId: uuidField().meta({ description: 'From GET /credit-packages' }),
          successUrl: z
            .url()
            .max(2_048)
            .optional()
            .meta({ description: 'Where Stripe sends the buyer after paying' }),
          cancelUrl: z
            .url()
            .max(2_048)
            .optional()
            .meta({ description: 'Where Stripe sends a buyer who cancels' }),
        }),
      },
      responses: {
        201: { description: 'The Checkout session', schema: checkoutSchema },
        404: { description: 'No such active package for your tier' },
        409: { description: 'The package has no Stripe price yet (code CREDITS.PACKAGE_NOT_PURCHASABLE)' },
        503: { description: 'Billing is not configured (code BILLING.NOT_CONFIGURED)' },
      },
      async handle(request, services) {
        const stripe = await stripeFor(services);
        const base = services.config.http.publicUrl ?? request.origin ?? 'http://localhost';
        const billing = services.config.billing;
        const session = await startCheckout(
          services.db,
          stripe.checkout,
          stripe.missing,
          callerOwnScope(request),
          {
            packageId: request.body.packageId,
            // Without a key, one per caller, package and minute: a double click buys once.
            idempotencyKey:
              idempotencyKeyOf(request.headers) ??
              `${request.body.packageId}:${Math.floor(services.clock.now().getTime() / 60_000)}`,
            successUrl:
              request.body.successUrl ?? billing.checkoutSuccessUrl ?? `${base}/credits?checkout=success`,
            cancelUrl:
              request.body.cancelUrl ?? billing.checkoutCancelUrl ?? `${base}/credits?checkout=cancelled`,
          },
        );
        return {
          status: 201,
          body: {
            checkoutSessionId: session.id,
            url: session.url,
            expiresAt: session.expiresAt.toISOString(),
            packageId: session.packageId,
            credits: session.credits,
          },
        };
      },
    }),
  ];
}
