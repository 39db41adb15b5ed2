import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../../infra/local/local-platform';
import { postSignedStripeEvent, testCheckoutCompletedEvent } from '../../../infra/local/local-stripe';
import { grantCredits } from '../../integration/support/fixtures';
import { registerUser, type RegisteredUser } from '../../support/auth';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * Credits as a user meets them on the local runtime: no balance, no run; a signed Stripe event
 * tops up; a job reserves its estimate, then pays for what its nodes used and gets the rest back;
 * the ledger shows all of it, linked to the job. Welcome credits are off here (PW_SIGNUP_CREDITS=0).
 */
type Body = Record<string, unknown>;

const IRIS = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  ...Array.from({ length: 60 }, (_, i) => `${5 + (i % 7) / 10},3.${i % 9},1.${i % 5},0.${i % 3},s${i % 3}`),
  '',
].join('\n');

describe('credits end to end', () => {
  let platform: LocalPlatform;
  let dataDir: string;
  let user: RegisteredUser;
  let pipelineId: string;
  let versionId: string;

  const api = async (u: RegisteredUser, method: string, pathname: string, body?: unknown) => {
    const res = await fetch(`${platform.url}${pathname}`, {
      method,
      headers: { ...u.authHeader, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Body };
  };

  const setUp = async (u: RegisteredUser) => {
    const dataset = await api(u, 'POST', '/datasets', { name: `iris-${Date.now()}`, modality: 'tabular' });
    expect(dataset.status).toBe(201);
    const version = await uploadValidatedVersion(platform.url, u.authHeader, String(dataset.body.id), {
      name: 'iris.csv',
      contentType: 'text/csv',
      bytes: Buffer.from(IRIS),
    });
    const pipeline = await api(u, 'POST', '/pipelines', {
      name: 'copy',
      datasetId: dataset.body.id,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'csv', type: 'export.csv', params: {} },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'csv', port: 'table' } }],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    return { versionId: String(version.id), pipelineId: String(pipeline.body.id) };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pw-credits-e2e-'));
    platform = await startLocalPlatform({ dataDir, port: 0, env: { PW_SIGNUP_CREDITS: '0' } });
    user = await registerUser(platform.url);
    ({ versionId, pipelineId } = await setUp(user));
  });

  afterAll(async () => {
    await platform?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a run without credits with 402 naming what it needs, what there is and where to top up', async () => {
    expect((await api(user, 'GET', '/credits')).body).toMatchObject({ available: 0, purchased: 0 });
    const refused = await api(user, 'POST', '/jobs', { pipelineId, datasetVersionId: versionId });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({
      code: 'CREDITS.INSUFFICIENT',
      details: { available: 0, topUp: { packages: '/credit-packages', checkout: '/credits/checkout' } },
    });
    expect((refused.body.details as { required: number }).required).toBeGreaterThan(0);
    expect((await api(user, 'GET', '/jobs')).body.items).toEqual([]);
  });

  it('tops up with a signed Checkout event, charges a job its nodes’ cost, and lists purchase, reserve and settle', async () => {
    const packages = await api(user, 'GET', '/credit-packages');
    const starter = (
      packages.body.items as { id: string; key: string; credits: number; priceCents: number }[]
    ).find((p) => p.key === 'starter');
    if (!starter) throw new Error('no starter package');
    // Only packages for the caller's tier are offered.
    expect((packages.body.items as { key: string }[]).map((p) => p.key)).toEqual(['starter']);

    const secret = platform.config.stripe?.webhookSigningSecret ?? '';
    const event = testCheckoutCompletedEvent({
      userId: user.userId,
      packageId: starter.id,
      amountCents: starter.priceCents,
      currency: 'usd',
    });
    expect((await postSignedStripeEvent(platform.url, secret, event)).status).toBe(200);
    // A replay (Stripe retries) adds nothing.
    expect((await postSignedStripeEvent(platform.url, secret, event)).body).toMatchObject({
      duplicate: true,
    });
    expect((await api(user, 'GET', '/credits')).body).toMatchObject({
      available: starter.credits,
      purchased: starter.credits,
    });

    const started = await api(user, 'POST', '/jobs', { pipelineId, datasetVersionId: versionId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const jobId = String(started.body.id);
    const reserved = (started.body.credits as { reserved: number }).reserved;
    expect(reserved).toBeGreaterThan(0);
    const inFlight = (await api(user, 'GET', '/credits')).body;
    expect(inFlight.available).toBe(starter.credits - reserved);

    const job = await until('the job to finish', async () => {
      const { body } = await api(user, 'GET', `/jobs/${jobId}`);
      return body.status === 'completed' || body.status === 'failed' ? body : undefined;
    });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const credits = job.credits as {
      estimated: number;
      reserved: number;
      used: number;
      refunded: number;
      charged: number;
    };
    const nodes = job.nodes as {
      nodeId: string;
      runtime: string;
      cost: { billedSeconds: number; credits: number; memoryMb: number };
    }[];
    const nodeCredits = nodes.reduce((sum, node) => sum + node.cost.credits, 0);
    expect(nodes.every((node) => node.runtime === 'lambda' && node.cost.memoryMb === 3008)).toBe(true);
    expect(credits.used).toBe(Math.min(credits.reserved, Math.ceil(nodeCredits - 1e-6)));
    expect(credits.charged).toBe(credits.used);
    expect(credits.refunded).toBe(credits.reserved - credits.used);
    expect((await api(user, 'GET', '/credits')).body).toMatchObject({
      available: starter.credits - credits.charged,
      reservedInFlight: 0,
      spent: credits.charged,
    });

    const history = (await api(user, 'GET', '/credits/transactions')).body.items as {
      type: string;
      amount: number;
      jobId: string | null;
      packageId: string | null;
      links: { job?: string };
    }[];
    expect(history.map((entry) => [entry.type, entry.amount])).toEqual([
      ...(credits.refunded > 0 ? [['refund', credits.refunded]] : []),
      ['consumption', -credits.reserved],
      ['purchase', starter.credits],
    ]);
    expect(history.at(-1)?.packageId).toBe(starter.id);
    const forJob = (await api(user, 'GET', `/credits/transactions?jobId=${jobId}`)).body.items as {
      links: { job?: string };
    }[];
    expect(forJob.length).toBe(credits.refunded > 0 ? 2 : 1);
    expect(forJob.every((entry) => entry.links.job === `/jobs/${jobId}`)).toBe(true);
  });

  it('answers 503 naming the missing setting when Checkout is asked for without a Stripe key', async () => {
    const packages = (await api(user, 'GET', '/credit-packages')).body.items as { id: string }[];
    const answer = await api(user, 'POST', '/credits/checkout', { packageId: packages[0]?.id });
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'BILLING.NOT_CONFIGURED' });
    expect(String(answer.body.detail)).toContain('PW_STRIPE_SECRET_KEY');
  });

  it('lets 10 of 50 concurrent runs start when the balance covers exactly 10, and never goes below zero', async () => {
    const racer = await registerUser(platform.url);
    const setup = await setUp(racer);
    // What one run reserves, learned from a refusal (the balance is 0).
    const probe = await api(racer, 'POST', '/jobs', {
      pipelineId: setup.pipelineId,
      datasetVersionId: setup.versionId,
    });
    expect(probe.status).toBe(402);
    const perRun = (probe.body.details as { required: number }).required;
    await grantCredits(platform.services.db, racer.userId, perRun * 10);

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        api(racer, 'POST', '/jobs', { pipelineId: setup.pipelineId, datasetVersionId: setup.versionId }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
    expect((await api(racer, 'GET', '/credits')).body.available).toBe(0);

    const ids = answers.filter((a) => a.status === 201).map((a) => String(a.body.id));
    const finished = await Promise.all(
      ids.map((id) =>
        until(`job ${id} to finish`, async () => {
          const { body } = await api(racer, 'GET', `/jobs/${id}`);
          return body.status === 'completed' || body.status === 'failed' ? body : undefined;
        }),
      ),
    );
    const charged = finished.reduce((sum, job) => sum + (job.credits as { charged: number }).charged, 0);
    const balance = (await api(racer, 'GET', '/credits')).body;
    expect(balance.available).toBe(perRun * 10 - charged);
    expect(balance.available).toBeGreaterThanOrEqual(0);
  });
});
