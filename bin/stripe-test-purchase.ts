/**
 * `npm run credits:test-purchase -- <package key>`: tops up your balance on the local runtime the
 * way Stripe would after a paid Checkout: a `checkout.session.completed` event for the package,
 * signed with the local webhook secret and posted to POST /webhooks/stripe. The platform applies
 * it exactly as it applies Stripe's own (once per event, a `purchase` in your ledger).
 *
 * Needs the platform running (`npm start`) and your access token in PW_TOKEN:
 *   PW_TOKEN=<accessToken> npm run credits:test-purchase -- starter
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfigWith } from '../shared/config/config';
import {
  LOCAL_WEBHOOK_SECRET_FILE,
  postSignedStripeEvent,
  testCheckoutCompletedEvent,
} from '../infra/local/local-stripe';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const packageKey = process.argv[2] ?? 'starter';
const token = process.env['PW_TOKEN'];
if (!token)
  fail(
    'Set PW_TOKEN to your access token (from POST /auth/login), e.g. PW_TOKEN=eyJ… npm run credits:test-purchase -- starter',
  );

const config = loadConfigWith({ extra: { PW_RUNTIME: 'local' } });
const dataDir = path.resolve(config.local.dataDir);
const runtime = JSON.parse(
  await readFile(path.join(dataDir, 'runtime.json'), 'utf8').catch(() =>
    fail(`No platform is running from ${config.local.dataDir}: start it with npm start.`),
  ),
) as { url: string };
const secret =
  config.stripe?.webhookSigningSecret ??
  (await readFile(path.join(dataDir, LOCAL_WEBHOOK_SECRET_FILE), 'utf8').catch(() => '')).trim();
if (!secret) fail('The local webhook secret is missing: start the platform once with npm start.');

const headers = { authorization: `Bearer ${token}` };
const me = await fetch(new URL('/me', runtime.url), { headers });
if (me.status !== 200) fail(`GET /me answered ${me.status}: is PW_TOKEN a current access token?`);
const user = (await me.json()) as { id: string };
const packages = (await (await fetch(new URL('/credit-packages', runtime.url), { headers })).json()) as {
  items: { id: string; key: string; credits: number; priceCents: number; currency: string }[];
};
const pack = packages.items.find((p) => p.key === packageKey);
if (!pack)
  fail(
    `No package "${packageKey}" for your tier; there are: ${packages.items.map((p) => p.key).join(', ')}.`,
  );

const event = testCheckoutCompletedEvent({
  userId: user.id,
  packageId: pack.id,
  amountCents: pack.priceCents,
  currency: pack.currency,
});
const answer = await postSignedStripeEvent(runtime.url, secret, event);
if (answer.status !== 200)
  fail(`POST /webhooks/stripe answered ${answer.status}: ${JSON.stringify(answer.body)}`);
const balance = (await (await fetch(new URL('/credits', runtime.url), { headers })).json()) as {
  available: number;
};
console.log(
  `Bought "${pack.key}" (${pack.credits} credits) as event ${String(event['id'])}; your balance is ${balance.available}.`,
);
