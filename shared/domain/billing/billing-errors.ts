import { AppError, ValidationError, type AppErrorOptions } from '../../kernel/app-error';

/** How an operator turns billing on; shown to whoever calls a billing route while it is off. */
export const BILLING_SETUP_HINT =
  'Locally, set PW_STRIPE_WEBHOOK_SECRET (whsec_…) and PW_STRIPE_SECRET_KEY (sk_…). In AWS, store ' +
  '{"secretKey":"sk_…","webhookSigningSecret":"whsec_…"} in the Stripe secret whose ARN the function ' +
  'receives as PW_STRIPE_SECRET_ARN (aws secretsmanager put-secret-value).';

/** 400: the Stripe-Signature header is missing, malformed, stale or does not match the raw body. */
export class StripeSignatureInvalidError extends ValidationError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, { ...options, code: 'BILLING.SIGNATURE_INVALID', field: 'headers.stripe-signature' });
  }
}

/** 400: a correctly signed body that is not a Stripe event (should never come from Stripe). */
export class StripePayloadInvalidError extends ValidationError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, { ...options, code: 'BILLING.PAYLOAD_INVALID', field: 'body' });
  }
}

/**
 * 503: no Stripe keys are configured (or the configured secret does not hold them yet). A 5xx on
 * purpose: Stripe keeps retrying a webhook that got one, so events sent before the keys were set
 * are processed once they are.
 */
export class BillingNotConfiguredError extends AppError {
  readonly status = 503;
  readonly retryable = true;
  constructor(reason: string, options: AppErrorOptions = {}) {
    // The message names settings, never values, and is what the operator wiring Stripe needs.
    super('BILLING.NOT_CONFIGURED', `Billing is not configured: ${reason}. ${BILLING_SETUP_HINT}`, {
      ...options,
      exposeDetail: true,
    });
  }
  override get title() {
    return 'Billing is not configured';
  }
}
