import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { StripeBilling } from '../../domain/billing/stripe-billing.port';
import type { Config } from '../../config/config';
import { DependencyUnavailableError } from '../../kernel/app-error';
import { errorName } from '../aws/aws-errors';
import { createStripeCheckoutSessions, type StripeCheckoutOptions } from './stripe-checkout-sessions';
import { createStripeWebhookVerifier, type StripeWebhookVerifierOptions } from './stripe-webhook-verifier';

/** Reads a secret's string; undefined when the secret does not exist or holds no string. */
export type SecretReader = (secretArn: string) => Promise<string | undefined>;

export interface StripeBillingSourceOptions {
  readSecret?: SecretReader;
  /** How long "the secret does not hold the keys yet" is believed before the secret is read again. */
  recheckAfterMs?: number;
  now?: () => number;
  webhooks?: StripeWebhookVerifierOptions;
  checkout?: StripeCheckoutOptions;
}

interface StripeKeys {
  secretKey?: string | undefined;
  webhookSigningSecret?: string | undefined;
}

const secretJson = z.object({
  secretKey: z.string().trim().min(1).optional(),
  webhookSigningSecret: z.string().trim().min(1).optional(),
});

/**
 * The Stripe parts a process may use, from `config.stripe`: keys given directly (local use; they
 * win) or read from the Secrets Manager secret `PW_STRIPE_SECRET_ARN` names — once per container.
 * A secret that does not hold the keys yet (the stack creates it with a placeholder) is read
 * again after `recheckAfterMs`, so writing the keys takes effect without a redeploy. A failed
 * read is not remembered: the next request tries again.
 */
export function createStripeBillingSource(
  config: Pick<Config, 'stripe' | 'region'>,
  options: StripeBillingSourceOptions = {},
): () => Promise<StripeBilling> {
  const now = options.now ?? Date.now;
  const recheckAfterMs = options.recheckAfterMs ?? 60_000;
  const readSecret = options.readSecret ?? secretsManagerReader(config.region);
  const section = config.stripe;
  const direct: StripeKeys = {
    secretKey: section?.secretKey,
    webhookSigningSecret: section?.webhookSigningSecret,
  };
  const secretArn = section?.secretArn;

  let cached: { billing: StripeBilling; until: number } | undefined;
  let loading: Promise<StripeBilling> | undefined;

  const load = async (): Promise<{ billing: StripeBilling; complete: boolean }> => {
    let keys = direct;
    let secretProblem: string | undefined;
    if (secretArn && !(direct.secretKey && direct.webhookSigningSecret)) {
      const fromSecret = await keysFromSecret(readSecret, secretArn);
      secretProblem = fromSecret.problem;
      keys = {
        secretKey: direct.secretKey ?? fromSecret.keys.secretKey,
        webhookSigningSecret: direct.webhookSigningSecret ?? fromSecret.keys.webhookSigningSecret,
      };
    }
    const billing = buildBilling(keys, options, secretProblem);
    // Keys given directly never change; a secret without both keys may be filled in later.
    return { billing, complete: !secretArn || (!!keys.secretKey && !!keys.webhookSigningSecret) };
  };

  return async () => {
    if (cached && now() < cached.until) return cached.billing;
    loading ??= load()
      .then(({ billing, complete }) => {
        cached = { billing, until: complete ? Number.POSITIVE_INFINITY : now() + recheckAfterMs };
        return billing;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
}

const sources = new WeakMap<Config, () => Promise<StripeBilling>>();

/** The process-wide Stripe parts for a configuration (one secret read per container in AWS). */
export function stripeBillingFor(config: Config): Promise<StripeBilling> {
  let source = sources.get(config);
  if (!source) {
    source = createStripeBillingSource(config);
    sources.set(config, source);
  }
  return source();
}

function buildBilling(
  keys: StripeKeys,
  options: StripeBillingSourceOptions,
  secretProblem: string | undefined,
): StripeBilling {
  const missing: string[] = [];
  if (!keys.webhookSigningSecret) missing.push('no webhook signing secret is set');
  if (!keys.secretKey) missing.push('no Stripe secret key is set');
  return {
    webhooks: keys.webhookSigningSecret
      ? createStripeWebhookVerifier(keys.webhookSigningSecret, options.webhooks)
      : undefined,
    checkout: keys.secretKey ? createStripeCheckoutSessions(keys.secretKey, options.checkout) : undefined,
    missing: missing.length > 0 ? [secretProblem, ...missing].filter(Boolean).join('; ') : undefined,
  };
}

async function keysFromSecret(
  readSecret: SecretReader,
  secretArn: string,
): Promise<{ keys: StripeKeys; problem?: string }> {
  const text = await readSecret(secretArn);
  if (text === undefined) return { keys: {}, problem: 'the Stripe secret does not exist or has no value' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The placeholder the stack creates is not JSON: the operator has not stored the keys yet.
    return { keys: {}, problem: 'the Stripe secret does not hold the keys as JSON yet' };
  }
  const parsed = secretJson.safeParse(json);
  if (!parsed.success)
    return { keys: {}, problem: 'the Stripe secret is not {"secretKey":…,"webhookSigningSecret":…}' };
  return { keys: parsed.data };
}

/** Secrets Manager through the SDK; a missing secret is "not configured", anything else retries later. */
function secretsManagerReader(region: string): SecretReader {
  let client: SecretsManagerClient | undefined;
  return async (secretArn) => {
    client ??= new SecretsManagerClient({ region });
    try {
      const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      return result.SecretString ?? undefined;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw new DependencyUnavailableError(
        'secrets',
        `Reading the Stripe secret failed: ${errorName(error) || 'error'}`,
        {
          cause: error,
        },
      );
    }
  };
}
