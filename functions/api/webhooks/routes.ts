import * as z from 'zod';
import { applyStripeEvent } from '../../../shared/domain/billing/apply-stripe-event';
import { BillingNotConfiguredError } from '../../../shared/domain/billing/billing-errors';
import type { StripeBilling } from '../../../shared/domain/billing/stripe-billing.port';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import type { Services } from '../../../shared/ports/services';

export const stripeWebhookReceiptSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().describe('The event id was seen before; nothing was done this time'),
  })
  .meta({ id: 'StripeWebhookReceipt', description: 'Stripe stops retrying once it gets a 2xx' });

export interface WebhookRouteOptions {
  /** The Stripe parts for a request's services; by default the configured keys (read once per container). */
  stripe?: (services: Services) => Promise<StripeBilling>;
}

/** Loaded on first use, so groups that only list this route never load the Stripe SDK. */
async function configuredStripe(services: Services): Promise<StripeBilling> {
  const { stripeBillingFor } = await import('../../../shared/adapters/stripe/stripe-config');
  return stripeBillingFor(services.config);
}

/** `POST /webhooks/stripe`: served by the `webhooks` function, called by Stripe (no user). */
export function createWebhookRoutes(options: WebhookRouteOptions = {}): RouteSpec[] {
  const stripeFor = options.stripe ?? configuredStripe;
  return [
    defineRoute({
      method: 'POST',
      path: '/webhooks/stripe',
      group: 'webhooks',
      operationId: 'receiveStripeEvent',
      summary: 'Receive a signed Stripe event (Checkout purchases, refunds, disputes)',
      description:
        'Called by Stripe. The Stripe-Signature header is verified on the raw body; its timestamp may be at most ' +
        '5 minutes old or ahead. Each event id is applied once: `checkout.session.completed` (paid) adds the ' +
        'package credits, `charge.refunded` and `charge.dispute.created` take back the refunded or disputed share; ' +
        'other types are recorded and acknowledged. A replay answers `duplicate: true`. An event that cannot be ' +
        'applied yet (a refund before its purchase) is acknowledged and applied later by the re-drive.',
      tags: ['webhooks'],
      auth: 'none',
      rawBody: true,
      responses: {
        200: {
          description: 'Recorded (and applied, if it applies to the ledger)',
          schema: stripeWebhookReceiptSchema,
        },
        400: {
          description:
            'Missing or invalid Stripe-Signature, or a timestamp more than 5 minutes old or ahead (code BILLING.SIGNATURE_INVALID): nothing was processed',
        },
        503: {
          description:
            'Billing is not configured (code BILLING.NOT_CONFIGURED): the detail says how to configure it',
        },
      },
      async handle(request, services) {
        const stripe = await stripeFor(services);
        if (!stripe.webhooks) {
          services.logger.warn('stripe webhook received while billing is not configured', {
            missing: stripe.missing,
          });
          throw new BillingNotConfiguredError(stripe.missing ?? 'no webhook signing secret is set');
        }
        const event = stripe.webhooks.verify(request.rawBody ?? '', request.headers['stripe-signature']);
        const applied = await applyStripeEvent(services, event);
        return {
          status: 200,
          headers: { 'cache-control': 'no-store' },
          body: { received: true, duplicate: applied.duplicate },
        };
      },
    }),
  ];
}
