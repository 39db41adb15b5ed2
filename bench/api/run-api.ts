import { performance } from 'node:perf_hooks';
import { authRoutes } from '../../functions/api/auth/routes';
import { startHttpServer, type RunningHttpServer } from '../../infra/local/http-server';
import { startLocalPlatform } from '../../infra/local/local-platform';
import { verifyAccessToken } from '../../shared/domain/identity/access-tokens';
import { authenticateRequest, type Authenticate } from '../../shared/domain/identity/authenticate';
import { readSessionState, sessionVerdict } from '../../shared/domain/identity/session-check';
import { signingKeyFor } from '../../shared/domain/identity/signing-key';
import { createApiHandler } from '../../shared/http/api-handler';
import type { Services } from '../../shared/ports/services';
import { milliseconds, pad, summarize, type Summary } from '../report-format';
import { runApiList, type ApiListResult } from './run-api-list';

/**
 * What the revocation check costs a signed-in request: `GET /me` with a bearer token on the local
 * platform's stack (real PostgreSQL, the auth function's handler behind the local gateway), served
 * three ways from the same services in the same run:
 * - `no check`: the signature alone, as access tokens were checked before revocation took effect
 *   at once (the baseline);
 * - `check, cached`: the product's authenticator (account and sign-in read at most every two
 *   seconds per warm function);
 * - `check, every request`: the same read on every request, as a cold or busy fleet would see it.
 * Each repetition sends REQUESTS sequential requests to each variant, in rotating order, and keeps
 * their median latency; the figures are min / median / max of those medians over REPETITIONS, and
 * each variant's median ÷ the baseline's.
 *
 * Then the list under load against a bare http + pg server (run-api-list.ts).
 */
const REPETITIONS = 5;
const REQUESTS = 300;
const WARMUP = 30;

const VARIANTS = ['no check', 'check, cached', 'check, every request'] as const;
type Variant = (typeof VARIANTS)[number];

export interface ApiVariantFigure {
  medianLatencyMs: Summary;
  ratioToNoCheck: number;
}

export type ApiResult = Record<Variant, ApiVariantFigure> & {
  requestsPerRepetition: number;
  failures: number;
  /** `GET /datasets` under load against a bare http + pg server (run-api-list.ts). */
  list: ApiListResult;
};

/** Signature only: what a bearer token needed before revocation was checked. */
const signatureOnly =
  (readState: boolean): Authenticate =>
  async (request, services) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers['authorization'] ?? '');
    if (!match?.[1]) return undefined;
    const key = await signingKeyFor(services.config, services.secrets);
    const claims = await verifyAccessToken(services.config.auth, key, match[1], services.clock.now());
    if (readState) {
      const verdict = sessionVerdict(claims, await readSessionState(services.db, claims));
      if (verdict) throw verdict;
    }
    return { userId: claims.userId, role: claims.role, via: 'jwt', scopes: ['read', 'write', 'admin'] };
  };

async function serve(services: Services, authenticate: Authenticate): Promise<RunningHttpServer> {
  const handler = createApiHandler(authRoutes, () => services, { authenticate });
  return startHttpServer({ port: 0, routes: authRoutes, logger: services.logger, getHandler: () => handler });
}

async function medianLatency(url: string, token: string, requests: number): Promise<number> {
  const latencies: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /me answered ${res.status}`);
    latencies.push(performance.now() - started);
  }
  return summarize(latencies).median;
}

export async function runApi(options: { dataDir: string }): Promise<ApiResult> {
  console.log(
    `\nAPI: GET /me with a bearer token, ${REQUESTS} sequential requests × ${REPETITIONS} repetitions per variant`,
  );
  const platform = await startLocalPlatform({
    dataDir: options.dataDir,
    port: 0,
    env: { PW_SIGNUP_CREDITS: '0' },
  });
  const servers: RunningHttpServer[] = [];
  try {
    const registered = await fetch(`${platform.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-${Date.now()}@example.test`, password: 'bench horse battery 42' }),
    });
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const urls: Record<Variant, string> = {
      'no check': '',
      'check, cached': '',
      'check, every request': '',
    };
    const authenticators: Record<Variant, Authenticate> = {
      'no check': signatureOnly(false),
      'check, cached': authenticateRequest,
      'check, every request': signatureOnly(true),
    };
    for (const variant of VARIANTS) {
      const server = await serve(platform.services, authenticators[variant]);
      servers.push(server);
      urls[variant] = server.url;
    }
    const medians: Record<Variant, number[]> = {
      'no check': [],
      'check, cached': [],
      'check, every request': [],
    };
    for (const variant of VARIANTS) await medianLatency(urls[variant], accessToken, WARMUP);
    for (let rep = 0; rep < REPETITIONS; rep++) {
      // Rotate the order, so no variant always runs first (or last) in a repetition.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length] as Variant);
      for (const variant of order)
        medians[variant].push(await medianLatency(urls[variant], accessToken, REQUESTS));
    }
    const baseline = summarize(medians['no check']).median;
    const result = { requestsPerRepetition: REQUESTS, failures: 0 } as ApiResult;
    for (const variant of VARIANTS) {
      const summary = summarize(medians[variant]);
      result[variant] = { medianLatencyMs: summary, ratioToNoCheck: summary.median / baseline };
      console.log(
        `  ${pad(variant, 22)} median latency ${milliseconds(summary.min)} / ${milliseconds(summary.median)} / ${milliseconds(summary.max)} (min / median / max of ${REPETITIONS})  ×${(summary.median / baseline).toFixed(2)} the no-check median`,
      );
    }
    result.list = await runApiList(platform);
    return result;
  } finally {
    for (const server of servers) await server.close({ graceMs: 1_000 });
    await platform.stop();
  }
}
