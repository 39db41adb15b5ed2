import { describe, expect, it } from 'vitest';
import {
  createStripeBillingSource,
  type SecretReader,
} from '../../../../../shared/adapters/stripe/stripe-config';
import { loadConfig } from '../../../../../shared/config/config';
import { DependencyUnavailableError } from '../../../../../shared/kernel/app-error';
import { checkoutCompletedEvent, signStripePayload } from '../../../../events/stripe/stripe-event-fixtures';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pipeweave-stripe-AbCdEf';
const KEYS = { secretKey: 'sk_test_51AbC', webhookSigningSecret: 'whsec_from_secret_0123456789' };

/** A Secrets Manager stand-in whose value the test changes, counting reads. */
function secretStore(initial: string | undefined) {
  let value = initial;
  let failNext = false;
  const store = {
    reads: 0,
    set: (next: string | undefined) => (value = next),
    failOnce: () => (failNext = true),
    read: (async (arn: string) => {
      store.reads += 1;
      expect(arn).toBe(ARN);
      await new Promise((resolve) => setImmediate(resolve));
      if (failNext) {
        failNext = false;
        throw new DependencyUnavailableError('secrets', 'throttled');
      }
      return value;
    }) satisfies SecretReader,
  };
  return store;
}

function verifiesWith(
  secret: string,
  billing: Awaited<ReturnType<ReturnType<typeof createStripeBillingSource>>>,
) {
  const body = JSON.stringify(checkoutCompletedEvent());
  try {
    return (
      billing.webhooks?.verify(body, signStripePayload(body, secret)).type === 'checkout.session.completed'
    );
  } catch {
    return false;
  }
}

describe('Stripe configuration', () => {
  it('is not configured without keys, and says what is missing', async () => {
    const billing = await createStripeBillingSource(loadConfig({}))();
    expect(billing.webhooks).toBeUndefined();
    expect(billing.checkout).toBeUndefined();
    expect(billing.missing).toBe('no webhook signing secret is set; no Stripe secret key is set');
  });

  it('uses keys given directly without reading any secret', async () => {
    const store = secretStore(JSON.stringify(KEYS));
    const config = loadConfig({
      PW_STRIPE_WEBHOOK_SECRET: 'whsec_local_1',
      PW_STRIPE_SECRET_KEY: 'sk_test_local',
      PW_STRIPE_SECRET_ARN: ARN,
    });
    const billing = await createStripeBillingSource(config, { readSecret: store.read })();
    expect(verifiesWith('whsec_local_1', billing)).toBe(true);
    expect(billing.checkout).toBeDefined();
    expect(billing.missing).toBeUndefined();
    expect(store.reads).toBe(0);
  });

  it('reads the secret once per container, even when requests arrive together', async () => {
    const store = secretStore(JSON.stringify(KEYS));
    const source = createStripeBillingSource(loadConfig({ PW_STRIPE_SECRET_ARN: ARN }), {
      readSecret: store.read,
    });
    const [first, second] = await Promise.all([source(), source()]);
    const third = await source();
    expect(store.reads).toBe(1);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(verifiesWith(KEYS.webhookSigningSecret, first)).toBe(true);
    expect(verifiesWith('whsec_other', first)).toBe(false);
  });

  it('treats the placeholder the stack creates as not configured, and notices the keys once stored', async () => {
    let now = 1_000_000;
    const store = secretStore('Zq8#pLx2!generated-placeholder');
    const source = createStripeBillingSource(loadConfig({ PW_STRIPE_SECRET_ARN: ARN }), {
      readSecret: store.read,
      recheckAfterMs: 60_000,
      now: () => now,
    });
    const before = await source();
    expect(before.webhooks).toBeUndefined();
    expect(before.missing).toMatch(
      /^the Stripe secret does not hold the keys as JSON yet; no webhook signing secret/,
    );
    expect(before.missing).not.toContain(ARN);

    store.set(JSON.stringify(KEYS));
    now += 30_000;
    expect((await source()).webhooks).toBeUndefined(); // not re-read within the minute
    now += 31_000;
    const after = await source();
    expect(verifiesWith(KEYS.webhookSigningSecret, after)).toBe(true);
    expect(store.reads).toBe(2);
  });

  it('does not remember a failed read', async () => {
    const store = secretStore(JSON.stringify(KEYS));
    store.failOnce();
    const source = createStripeBillingSource(loadConfig({ PW_STRIPE_SECRET_ARN: ARN }), {
      readSecret: store.read,
    });
    await expect(source()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect((await source()).webhooks).toBeDefined();
    expect(store.reads).toBe(2);
  });

  it('completes keys given directly with the secret, and names a secret of the wrong shape', async () => {
    const store = secretStore(JSON.stringify({ secretKey: 'sk_test_from_secret' }));
    const config = loadConfig({ PW_STRIPE_SECRET_ARN: ARN, PW_STRIPE_WEBHOOK_SECRET: 'whsec_local_2' });
    const billing = await createStripeBillingSource(config, { readSecret: store.read })();
    expect(verifiesWith('whsec_local_2', billing)).toBe(true);
    expect(billing.checkout).toBeDefined();

    store.set(JSON.stringify({ secret: 'sk_x' }));
    const wrong = await createStripeBillingSource(loadConfig({ PW_STRIPE_SECRET_ARN: ARN }), {
      readSecret: store.read,
    })();
    expect(wrong.webhooks).toBeUndefined();
    store.set(JSON.stringify(['sk_x']));
    const notObject = await createStripeBillingSource(loadConfig({ PW_STRIPE_SECRET_ARN: ARN }), {
      readSecret: store.read,
    })();
    expect(notObject.missing).toMatch(/is not \{"secretKey"/);
  });
});
