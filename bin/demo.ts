/**
 * `npm run demo`: a narrated tour on a throwaway platform (its own temporary data directory and
 * ports): account → dataset → presigned upload → ingestion and profile → pipeline from a
 * template → job → outputs. Everything goes through the public HTTP API, as a client would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalPlatform } from '../infra/local/local-platform';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const IRIS = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '4.9,3.0,1.4,0.2,setosa',
  '4.7,3.2,1.3,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.4,3.2,4.5,1.5,versicolor',
  '6.9,3.1,4.9,1.5,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '5.8,2.7,5.1,1.9,virginica',
  '7.1,3.0,5.9,2.1,virginica',
  '',
].join('\n');

type Json = Record<string, unknown>;

const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);
const show = (label: string, value: unknown) =>
  console.log(`   ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);

const dataDir = await mkdtemp(path.join(tmpdir(), 'pipeweave-demo-'));
console.log('Starting a throwaway PipeWeave (embedded PostgreSQL, local S3, queues, state machines)…');
const platform = await startLocalPlatform({ dataDir, port: 0 });
const api = platform.url;
let token = '';

async function call(
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Json> {
  const response = await fetch(`${api}${route}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = (await response.json()) as Json;
  if (!response.ok)
    throw new Error(`${method} ${route} answered ${response.status}: ${JSON.stringify(payload)}`);
  return payload;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

try {
  console.log(`Running at ${api} (docs: ${api}/docs)`);

  step(1, 'Register an account');
  const session = await call('POST', '/auth/register', {
    email: 'demo@example.com',
    password: 'correct horse battery staple',
    fullName: 'Demo User',
  });
  token = String(session['accessToken']);
  show('user', (session['user'] as Json)['email']);

  step(2, 'Create a dataset and ask for an upload');
  const dataset = await call('POST', '/datasets', {
    name: 'iris',
    modality: 'tabular',
    problemType: 'classification',
    targetColumn: 'species',
  });
  const datasetId = String(dataset['id']);
  const created = await call('POST', `/datasets/${datasetId}/versions`, {
    fileName: 'iris.csv',
    contentType: 'text/csv',
    sizeBytes: Buffer.byteLength(IRIS),
  });
  const upload = created['upload'] as { url: string; fields: Record<string, string>; fileField: string };
  show('presigned POST', `${upload.url} (key ${upload.fields['key']})`);

  step(3, 'Upload the file straight to storage');
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append(upload.fileField, new Blob([IRIS], { type: 'text/csv' }), 'iris.csv');
  const stored = await fetch(upload.url, { method: 'POST', body: form });
  show('storage answered', stored.status);

  step(4, 'Ingestion: validate, convert to Parquet, profile, deduce the schema');
  const version = await until('validation', async () => {
    const v = await call('GET', `/datasets/${datasetId}/versions/1`);
    return v['status'] === 'validated' || v['status'] === 'failed' ? v : undefined;
  });
  show(
    'status',
    `${String(version['status'])}, ${String(version['rowCount'])} rows × ${String(version['columnCount'])} columns`,
  );
  const profile = await call('GET', `/datasets/${datasetId}/versions/1/profile`);
  show('profile summary', profile['summary']);
  const schema = await call('GET', `/datasets/${datasetId}/versions/1/schema`);
  show(
    'proposed schema',
    (schema['columns'] as { name: string; type: string }[]).map((c) => `${c.name}:${c.type}`).join(', '),
  );

  step(5, 'Clone the tabular classification template onto the dataset');
  const templates = await call('GET', '/pipelines?template=true');
  const template = (templates['items'] as Json[]).find((p) => p['templateKey'] === 'tabular.classification');
  if (!template) throw new Error('the tabular classification template is missing');
  const pipeline = await call('POST', `/pipelines/${String(template['id'])}/clone`, {
    name: 'iris split',
    datasetId,
  });
  const validation = await call('POST', `/pipelines/${String(pipeline['id'])}/validate`);
  show('valid', validation['valid']);

  step(6, 'Run it as a job (the same Idempotency-Key twice starts one job)');
  const job = await call(
    'POST',
    '/jobs',
    { pipelineId: pipeline['id'], datasetVersionId: version['id'] },
    { 'idempotency-key': 'demo-run-1' },
  );
  const again = await call(
    'POST',
    '/jobs',
    { pipelineId: pipeline['id'], datasetVersionId: version['id'] },
    { 'idempotency-key': 'demo-run-1' },
  );
  show('same job on retry of the request', again['id'] === job['id']);
  const finished = await until('the job', async () => {
    const j = await call('GET', `/jobs/${String(job['id'])}`);
    return ['completed', 'failed', 'cancelled'].includes(String(j['status'])) ? j : undefined;
  });
  show('job', `${String(finished['status'])} (${String(finished['progress'])}%)`);
  for (const node of finished['nodes'] as Json[]) {
    const outputs = Object.entries((node['outputs'] ?? {}) as Record<string, Json>)
      .map(([port, out]) => `${port}=${String(out['rows'] ?? '?')} rows`)
      .join(', ');
    show(`  node ${String(node['nodeId'])}`, `${String(node['status'])}${outputs ? ` → ${outputs}` : ''}`);
  }
  console.log('\nDone. Everything above went through the same handlers that run on AWS Lambda.');
} finally {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
}
