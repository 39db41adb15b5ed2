import { describe, expect, it } from 'vitest';
import {
  createStripeWebhookVerifier,
  STRIPE_SIGNATURE_TOLERANCE_SECONDS,
} from '../../../../../shared/adapters/stripe/stripe-webhook-verifier';
import { isAppError } from '../../../../../shared/kernel/app-error';
import { checkoutCompletedEvent, signStripePayload } from '../../../../events/stripe/stripe-event-fixtures';

const SECRET = 'whsec_test_5mK2pQ9rT4vX7zB1cD3fG6hJ8kL0nP2s';
const NOW = new Date('2026-11-21T10:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);
const verifier = createStripeWebhookVerifier(SECRET, { now: () => NOW });

function failure(run: () => unknown): { code: string; status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected the verification to fail');
}

describe('Stripe webhook signature verification', () => {
  const event = checkoutCompletedEvent({ userId: '0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3' });
  const body = JSON.stringify(event, null, 2);

  it('accepts the body Stripe signed and returns the event as sent', () => {
    const verified = verifier.verify(body, signStripePayload(body, SECRET, nowSeconds));
    expect(verified).toMatchObject({ id: event['id'], type: 'checkout.session.completed', livemode: false });
    expect(verified.payload).toEqual(event);
  });

  it('refuses the same JSON serialized differently: the signature covers the raw bytes', () => {
    const header = signStripePayload(body, SECRET, nowSeconds);
    expect(failure(() => verifier.verify(JSON.stringify(event), header))).toMatchObject({
      code: 'BILLING.SIGNATURE_INVALID',
      status: 400,
      message: expect.stringMatching(/does not match the body/),
    });
  });

  it('refuses a body signed with another secret', () => {
    const header = signStripePayload(body, 'whsec_someone_else', nowSeconds);
    expect(failure(() => verifier.verify(body, header)).code).toBe('BILLING.SIGNATURE_INVALID');
  });

  it('refuses a missing or malformed header', () => {
    expect(failure(() => verifier.verify(body, undefined))).toMatchObject({
      code: 'BILLING.SIGNATURE_INVALID',
      message: 'The Stripe-Signature header is missing.',
    });
    expect(failure(() => verifier.verify(body, 'not-a-signature')).message).toMatch(/malformed/);
  });

  it('accepts a signature within five minutes and refuses an older one (replay)', () => {
    const tolerance = STRIPE_SIGNATURE_TOLERANCE_SECONDS;
    expect(tolerance).toBe(300);
    expect(verifier.verify(body, signStripePayload(body, SECRET, nowSeconds - tolerance + 5)).id).toBe(
      event['id'],
    );
    expect(
      failure(() => verifier.verify(body, signStripePayload(body, SECRET, nowSeconds - tolerance - 5))),
    ).toMatchObject({
      code: 'BILLING.SIGNATURE_INVALID',
      message: expect.stringMatching(/more than 300 seconds old/),
    });
  });

  it('accepts a signature up to five minutes ahead of its clock and refuses one further ahead', () => {
    const tolerance = STRIPE_SIGNATURE_TOLERANCE_SECONDS;
    expect(verifier.verify(body, signStripePayload(body, SECRET, nowSeconds + tolerance)).id).toBe(
      event['id'],
    );
    for (const ahead of [tolerance + 1, 3600, 365 * 24 * 3600]) {
      expect(
        failure(() => verifier.verify(body, signStripePayload(body, SECRET, nowSeconds + ahead))),
        `${ahead} s ahead`,
      ).toMatchObject({
        code: 'BILLING.SIGNATURE_INVALID',
        status: 400,
        message: expect.stringMatching(/more than 300 seconds in the future/),
      });
    }
  });

  it('reads the timestamp the signature covers when the header repeats t= (the last one, as the SDK)', () => {
    const ahead = nowSeconds + 3600;
    const header = signStripePayload(body, SECRET, ahead);
    // A current t= in front does not hide the future one the signature was made with.
    expect(failure(() => verifier.verify(body, `t=${nowSeconds},${header}`)).message).toMatch(
      /in the future/,
    );
  });

  it('refuses a signed body that is not a Stripe event', () => {
    const notJson = 'hello';
    expect(
      failure(() => verifier.verify(notJson, signStripePayload(notJson, SECRET, nowSeconds))),
    ).toMatchObject({
      code: 'BILLING.PAYLOAD_INVALID',
      status: 400,
    });
    const notAnEvent = '[1,2,3]';
    expect(
      failure(() => verifier.verify(notAnEvent, signStripePayload(notAnEvent, SECRET, nowSeconds))).code,
    ).toBe('BILLING.PAYLOAD_INVALID');
  });
});
