import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalPlatform, type LocalPlatform } from '../../infra/local/local-platform';
import { withSystemScope } from '../../shared/db/tenant';
import { generateCsv } from '../generate-csv';
import { milliseconds, summarize, type Summary } from '../report-format';

/**
 * A 5-node pipeline run end to end on the local runtime, as a client sees it: a generated CSV of
 * 10 MB arrives through the real upload path (presigned POST, storage event, queue, tabular
 * worker); the pipeline `dataset.source → table.filter_rows → table.rename_columns → table.split
 * → export.csv` runs as a job through statemachines/run-pipeline.asl.json with the same handlers
 * the Lambda functions run. Each repetition starts a job with `POST /jobs` and polls
 * `GET /jobs/{id}` until it completes. Figures, min / median / max over REPETITIONS:
 * - end to end: the POST sent → the completed job read;
 * - node work: the sum of the nodes' own durations (a chain: they run one after another), the
 *   baseline measured in the same run; orchestration overhead is the difference, and the ratio
 *   end to end ÷ node work is what the orchestration multiplies the work by;
 * - state transitions per node: states entered in the execution's event log (Map iterations'
 *   states included), as Step Functions Standard bills them, ÷ 5.
 */
const REPETITIONS = 5;
const DATASET_BYTES = 10_000_000;
const POLL_MS = 20;
/** Goals: a run within 3 s end to end, at most 6 state transitions per node. */
export const RUNS_GOALS = { endToEndMs: 3_000, transitionsPerNode: 6 };

const PIPELINE = {
  nodes: [
    { id: 'source', type: 'dataset.source', params: {} },
    {
      id: 'positive',
      type: 'table.filter_rows',
      params: { conditions: [{ column: 'x_1', operator: '>', value: 0 }] },
    },
    { id: 'label', type: 'table.rename_columns', params: { mapping: { label_3: 'label' } } },
    { id: 'split', type: 'table.split', params: { testFraction: 0.2, seed: 7 } },
    { id: 'csv', type: 'export.csv', params: { fileName: 'train.csv' } },
  ],
  edges: [
    { from: { node: 'source', port: 'table' }, to: { node: 'positive', port: 'table' } },
    { from: { node: 'positive', port: 'table' }, to: { node: 'label', port: 'table' } },
    { from: { node: 'label', port: 'table' }, to: { node: 'split', port: 'table' } },
    { from: { node: 'split', port: 'train' }, to: { node: 'csv', port: 'table' } },
  ],
};
const NODES = PIPELINE.nodes.length;

export interface RunsResult {
  repetitions: number;
  dataset: { rows: number; bytes: number };
  nodes: number;
  endToEndMs: Summary;
  nodeWorkMs: Summary;
  orchestrationMs: Summary;
  /** End to end ÷ node work, of the medians. */
  ratioToNodeWork: number;
  /** Median duration of each node over the repetitions. */
  perNodeMs: Record<string, Summary>;
  transitionsPerNode: Summary;
  goals: typeof RUNS_GOALS;
  met: { endToEnd: boolean; transitionsPerNode: boolean };
  failures: number;
}

type Body = Record<string, unknown>;
interface JobNode {
  nodeId: string;
  status: string;
  durationMs: number | null;
}

export async function runRuns(options: { dataDir: string }): Promise<RunsResult> {
  const csvPath = join(options.dataDir, 'runs.csv');
  const csv = await generateCsv(csvPath, { minBytes: DATASET_BYTES, columns: 10 });
  console.log(
    `\nruns: a ${NODES}-node pipeline (source → filter → rename → split → CSV export) on ${(csv.bytes / 1e6).toFixed(1)} MB (${csv.rows.toLocaleString('en-US')} rows × 10 columns) on the local runtime, ${REPETITIONS} jobs one after another`,
  );
  const platform = await startLocalPlatform({
    dataDir: options.dataDir,
    port: 0,
    env: { PW_SIGNUP_CREDITS: '1000000' },
  });
  try {
    const api = client(platform);
    await api.register();
    const datasetId = await api.upload('runs', await readFile(csvPath));
    const pipeline = await api.call('POST', '/pipelines', {
      name: 'runs benchmark',
      datasetId,
      definition: PIPELINE,
    });
    if (pipeline.status !== 201)
      throw new Error(`POST /pipelines answered ${pipeline.status}: ${JSON.stringify(pipeline.body)}`);
    const pipelineId = String(pipeline.body.id);
    const versionId = await api.versionId(datasetId);

    const endToEnd: number[] = [];
    const nodeWork: number[] = [];
    const transitions: number[] = [];
    const perNode = new Map<string, number[]>();
    // One run first, not counted: modules load and caches fill on the first job of a process.
    for (let repetition = -1; repetition < REPETITIONS; repetition += 1) {
      const started = performance.now();
      const created = await api.call('POST', '/jobs', { pipelineId, datasetVersionId: versionId });
      if (created.status !== 201)
        throw new Error(`POST /jobs answered ${created.status}: ${JSON.stringify(created.body)}`);
      const jobId = String(created.body.id);
      let job: Body;
      for (;;) {
        job = (await api.call('GET', `/jobs/${jobId}`)).body;
        if (job.status === 'completed') break;
        if (job.status === 'failed' || job.status === 'cancelled')
          throw new Error(`the job ${String(job.status)}: ${JSON.stringify(job.error)}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const elapsed = performance.now() - started;
      const nodes = job.nodes as JobNode[];
      const work = nodes.reduce((sum, node) => sum + (node.durationMs ?? 0), 0);
      const executionId = await executionOf(platform, jobId);
      const entered = platform.orchestrator
        .executionHistory(executionId)
        .filter((event) => (event as { type?: string }).type === 'StateEntered').length;
      if (repetition < 0) continue;
      endToEnd.push(elapsed);
      nodeWork.push(work);
      transitions.push(entered / NODES);
      for (const node of nodes)
        perNode.set(node.nodeId, [...(perNode.get(node.nodeId) ?? []), node.durationMs ?? 0]);
      console.log(
        `  run ${repetition + 1}: end to end ${milliseconds(elapsed)}, node work ${milliseconds(work)}, orchestration ${milliseconds(elapsed - work)}, ${entered} states entered (${(entered / NODES).toFixed(1)} per node)`,
      );
    }
    const endToEndMs = summarize(endToEnd);
    const nodeWorkMs = summarize(nodeWork);
    const orchestrationMs = summarize(endToEnd.map((e, i) => e - (nodeWork[i] ?? 0)));
    const transitionsPerNode = summarize(transitions);
    const met = {
      endToEnd: endToEndMs.median <= RUNS_GOALS.endToEndMs,
      transitionsPerNode: transitionsPerNode.median <= RUNS_GOALS.transitionsPerNode,
    };
    const range = (s: Summary) =>
      `${milliseconds(s.min)} / ${milliseconds(s.median)} / ${milliseconds(s.max)}`;
    console.log(
      `  end to end     ${range(endToEndMs)}  (goal ≤ ${milliseconds(RUNS_GOALS.endToEndMs)}, ${met.endToEnd ? 'met' : 'MISSED'})`,
    );
    console.log(`  node work      ${range(nodeWorkMs)}  (the baseline)`);
    console.log(
      `  orchestration  ${range(orchestrationMs)}  end to end ÷ node work ${(endToEndMs.median / nodeWorkMs.median).toFixed(2)}×`,
    );
    console.log(
      `  state transitions per node ${transitionsPerNode.median.toFixed(1)} (goal ≤ ${RUNS_GOALS.transitionsPerNode}, ${met.transitionsPerNode ? 'met' : 'MISSED'})`,
    );
    const perNodeMs = Object.fromEntries([...perNode].map(([id, values]) => [id, summarize(values)]));
    console.log(
      `  per node (median): ${Object.entries(perNodeMs)
        .map(([id, s]) => `${id} ${milliseconds(s.median)}`)
        .join(', ')}`,
    );
    return {
      repetitions: REPETITIONS,
      dataset: csv,
      nodes: NODES,
      endToEndMs,
      nodeWorkMs,
      orchestrationMs,
      ratioToNodeWork: endToEndMs.median / nodeWorkMs.median,
      perNodeMs,
      transitionsPerNode,
      goals: RUNS_GOALS,
      met,
      failures: 0,
    };
  } finally {
    await platform.stop();
  }
}

async function executionOf(platform: LocalPlatform, jobId: string): Promise<string> {
  const row = await withSystemScope(platform.services.db, 'admin.benchmark', (trx) =>
    trx.selectFrom('jobs').select('execution_id').where('id', '=', jobId).executeTakeFirstOrThrow(),
  );
  if (!row.execution_id) throw new Error(`job ${jobId} has no execution`);
  return row.execution_id;
}

/** The few API calls a client makes here, signed in as one new user. */
function client(platform: LocalPlatform) {
  let headers: Record<string, string> = {};
  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Body }> => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };
  return {
    call,
    async register() {
      const registered = await call('POST', '/auth/register', {
        email: `bench-runs-${Date.now()}@example.test`,
        password: 'bench horse battery 42',
      });
      headers = { authorization: `Bearer ${String(registered.body.accessToken)}` };
    },
    async upload(name: string, bytes: Buffer): Promise<string> {
      const created = await call('POST', '/datasets', { name, modality: 'tabular' });
      const datasetId = String(created.body.id);
      const requested = await call('POST', `/datasets/${datasetId}/versions`, {
        fileName: `${name}.csv`,
        contentType: 'text/csv',
        sizeBytes: bytes.byteLength,
      });
      const upload = requested.body.upload as {
        url: string;
        fields: Record<string, string>;
        fileField: string;
      };
      const form = new FormData();
      for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
      form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), `${name}.csv`);
      const posted = await fetch(upload.url, { method: 'POST', body: form });
      if (posted.status >= 300) throw new Error(`the upload answered ${posted.status}`);
      const deadline = Date.now() + 300_000;
      while (Date.now() < deadline) {
        const version = (await call('GET', `/datasets/${datasetId}/versions/1`)).body;
        if (version.status === 'validated') return datasetId;
        if (version.status === 'failed')
          throw new Error(`ingestion failed: ${JSON.stringify(version.validationErrors)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('the dataset was not validated within 5 minutes');
    },
    async versionId(datasetId: string): Promise<string> {
      return String((await call('GET', `/datasets/${datasetId}/versions/1`)).body.id);
    },
  };
}
