import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { LocalPlatform } from '../../infra/local/local-platform';
import { APP_ROLE, ROLE_SETTING, TENANT_SETTING } from '../../shared/db/tenant';
import { milliseconds, pad, summarize, type Summary } from '../report-format';

/**
 * `GET /datasets?limit=10` under load on the local platform (the gateway, the datasets function's
 * middy stack, JWT and session check, one tenant-scoped transaction through Kysely), against a bare
 * `node:http` + `pg` server in the same process running the same tenant-scoped transaction (role
 * and tenant set in one statement, then the same list query) with a pool of the same size, no
 * framework and no authentication. Both are driven by the same load generator over CONNECTIONS
 * kept-alive connections for DURATION_MS per repetition, alternating which goes first; the
 * figures are min / median / max over the repetitions of each repetition's p50, p99 and req/s.
 */
const REPETITIONS = 5;
const CONNECTIONS = 32;
const DURATION_MS = 4_000;
const WARM_UP_MS = 1_500;
const DATASETS = 10;
/** The local platform's pool size (infra/local/local-platform.ts). */
const POOL_SIZE = 10;

/** Goals: the platform's p99 within 2× the bare server's, its throughput within 1.5×. */
export const API_LIST_GOALS = { p99Ratio: 2, throughputRatio: 1.5 };

export interface ApiListSide {
  p50Ms: Summary;
  p99Ms: Summary;
  requestsPerSecond: Summary;
}

export interface ApiListResult {
  connections: number;
  secondsPerRepetition: number;
  repetitions: number;
  platform: ApiListSide;
  barePg: ApiListSide;
  /** platform ÷ bare, of the medians. */
  ratios: { p50: number; p99: number; throughput: number };
  goals: typeof API_LIST_GOALS;
  met: { p99: boolean; throughput: boolean };
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

interface LoadFigures {
  p50: number;
  p99: number;
  rps: number;
}

/** CONNECTIONS loops, each sending its next GET once the previous answer is read in full. */
async function load(target: Target, durationMs: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let last = started;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const at = performance.now();
      const response = await fetch(target.url, { headers: target.headers });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${target.url} answered ${response.status}: ${body}`);
      last = performance.now();
      latencies.push(last - at);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const sorted = Float64Array.from(latencies).sort();
  const rank = (q: number) =>
    sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1] ?? 0;
  return { p50: rank(0.5), p99: rank(0.99), rps: (sorted.length * 1000) / (last - started) };
}

/** The same tenant-scoped list as `GET /datasets`, without any of the platform around it. */
const LIST_SQL = `select d.*,
  (select lv.version_number from dataset_versions lv where lv.dataset_id = d.id order by lv.version_number desc limit 1) as latest_version_number,
  (select lv.status from dataset_versions lv where lv.dataset_id = d.id order by lv.version_number desc limit 1) as latest_version_status
  from datasets d where d.user_id = $1 and d.deleted_at is null
  order by d.created_at desc, d.id desc limit $2`;

async function startBarePgServer(
  databaseUrl: string,
  userId: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  const server: Server = createServer((request, response) => {
    void (async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(
          `select set_config('role', $1, true), set_config('${TENANT_SETTING}', $2, true), set_config('${ROLE_SETTING}', 'user', true)`,
          [APP_ROLE, userId],
        );
        const { rows } = await client.query(LIST_SQL, [userId, DATASETS + 1]);
        await client.query('commit');
        const body = JSON.stringify({ items: rows.slice(0, DATASETS), nextCursor: null });
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        response.writeHead(500).end(String(error));
      } finally {
        client.release();
      }
    })();
    request.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/datasets`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}

export async function runApiList(platform: LocalPlatform): Promise<ApiListResult> {
  console.log(
    `\nAPI: GET /datasets?limit=10 (${DATASETS} datasets), ${CONNECTIONS} connections, ${DURATION_MS / 1000} s × ${REPETITIONS} repetitions per side, alternating; against a bare http + pg server (same transaction, pool of ${POOL_SIZE}, no auth)`,
  );
  const registered = await fetch(`${platform.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-list-${Date.now()}@example.test`,
      password: 'bench horse battery 42',
    }),
  });
  const { accessToken, user } = (await registered.json()) as { accessToken: string; user: { id: string } };
  const headers = { authorization: `Bearer ${accessToken}` };
  for (let i = 0; i < DATASETS; i += 1) {
    const created = await fetch(`${platform.url}/datasets`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench list ${i}`, modality: 'tabular' }),
    });
    if (created.status >= 300)
      throw new Error(`POST /datasets answered ${created.status}: ${await created.text()}`);
  }
  const bare = await startBarePgServer(platform.runtimeInfo.databaseUrl, user.id);
  try {
    const targets = {
      platform: { url: `${platform.url}/datasets?limit=${DATASETS}`, headers },
      barePg: { url: bare.url, headers: {} },
    };
    const check = (await (await fetch(targets.platform.url, { headers })).json()) as { items: unknown[] };
    if (check.items.length !== DATASETS)
      throw new Error(`GET /datasets listed ${check.items.length} datasets`);
    await load(targets.platform, WARM_UP_MS);
    await load(targets.barePg, WARM_UP_MS);
    const runs: Record<'platform' | 'barePg', LoadFigures[]> = { platform: [], barePg: [] };
    for (let repetition = 0; repetition < REPETITIONS; repetition += 1) {
      const order =
        repetition % 2 === 0 ? (['platform', 'barePg'] as const) : (['barePg', 'platform'] as const);
      for (const side of order) runs[side].push(await load(targets[side], DURATION_MS));
    }
    const side = (figures: LoadFigures[]): ApiListSide => ({
      p50Ms: summarize(figures.map((f) => f.p50)),
      p99Ms: summarize(figures.map((f) => f.p99)),
      requestsPerSecond: summarize(figures.map((f) => f.rps)),
    });
    const platformSide = side(runs.platform);
    const bareSide = side(runs.barePg);
    const ratios = {
      p50: platformSide.p50Ms.median / bareSide.p50Ms.median,
      p99: platformSide.p99Ms.median / bareSide.p99Ms.median,
      throughput: bareSide.requestsPerSecond.median / platformSide.requestsPerSecond.median,
    };
    const met = {
      p99: ratios.p99 <= API_LIST_GOALS.p99Ratio,
      throughput: ratios.throughput <= API_LIST_GOALS.throughputRatio,
    };
    const range = (s: Summary, show: (v: number) => string) =>
      `${show(s.min)} / ${show(s.median)} / ${show(s.max)}`;
    const rps = (v: number) => `${v.toFixed(0)}/s`;
    for (const [name, figures] of [
      ['local platform', platformSide],
      ['bare http + pg', bareSide],
    ] as const)
      console.log(
        `  ${pad(name, 15)} p50 ${range(figures.p50Ms, milliseconds)}  p99 ${range(figures.p99Ms, milliseconds)}  throughput ${range(figures.requestsPerSecond, rps)}`,
      );
    console.log(
      `  ratios of medians: p50 ${ratios.p50.toFixed(2)}×, p99 ${ratios.p99.toFixed(2)}× (goal ≤ ${API_LIST_GOALS.p99Ratio}×, ${met.p99 ? 'met' : 'MISSED'}), throughput bare ÷ platform ${ratios.throughput.toFixed(2)}× (goal ≤ ${API_LIST_GOALS.throughputRatio}×, ${met.throughput ? 'met' : 'MISSED'})`,
    );
    return {
      connections: CONNECTIONS,
      secondsPerRepetition: DURATION_MS / 1000,
      repetitions: REPETITIONS,
      platform: platformSide,
      barePg: bareSide,
      ratios,
      goals: API_LIST_GOALS,
      met,
    };
  } finally {
    await bare.stop();
  }
}
