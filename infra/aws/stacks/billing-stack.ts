import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** The JSON keys the operator stores in the Stripe secret. */
export const STRIPE_SECRET_FIELDS = ['secretKey', 'webhookSigningSecret'] as const;

/**
 * Billing: the Secrets Manager secret holding the Stripe keys. The stack creates it with a
 * placeholder; the operator writes the real keys once after the first deploy
 * (`aws secretsmanager put-secret-value`), so no key ever appears in code or templates. The
 * webhook route itself (`POST /webhooks/stripe`) belongs to the API stack.
 */
export class BillingStack extends Stack {
  readonly stripeSecret: Secret;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.stripeSecret = new Secret(this, 'StripeKeys', {
      description: `Stripe keys for PipeWeave as JSON: {${STRIPE_SECRET_FIELDS.map((f) => `"${f}": "..."`).join(', ')}}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.stripeSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Stripe API keys are rolled in the Stripe dashboard; Secrets Manager cannot rotate them automatically.',
    });
  }
}
