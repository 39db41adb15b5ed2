import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalPlatform } from '../../infra/local/local-platform';
import { withOwner } from '../../shared/db/owner-filter';
import {
  loadPredictor,
  parseArtifact,
  type ModelPredictor,
} from '../../shared/domain/learning/model-artifact';
import { insertModel } from '../../shared/domain/models/model-repository';
import {
  checkPredictionLimits,
  rowsToTable,
  type PredictionRow,
} from '../../shared/domain/models/prediction-rows';
import { objectKeys } from '../../shared/storage/object-keys';
import { CleanupStack } from '../cleanup-stack';
import type { PredictTarget, ServeMessage, ServeRequest } from './prediction-server';

/**
 * Child process entry of one prediction server (see prediction-server.ts): the request comes as
 * JSON in the first argument; `{ kind: 'ready' }` goes back over IPC once requests are answered.
 * The server runs until the parent sends `stop`, disconnects or signals, then stops everything it
 * started.
 */
const request = JSON.parse(process.argv[2] ?? '{}') as ServeRequest;
/** 100 million rows' worth: far more than one run predicts. */
const SIGNUP_CREDITS = 100_000;
const cleanup = new CleanupStack();
cleanup.onTermination();
const stop = () => void cleanup.run().then(() => process.exit(0));
process.on('message', (message) => {
  if (message === 'stop') stop();
});
process.on('disconnect', stop);

try {
  const target = request.server === 'platform' ? await servePlatform(request) : await serveBare(request);
  const ready: ServeMessage = { kind: 'ready', target };
  process.send?.(ready);
} catch (error) {
  console.error(`the ${String(request.server)} prediction server failed to start:`, error);
  await cleanup.run();
  process.exit(1);
}

/**
 * The local platform as `npm start` runs it. A user signs up over the API (their access token
 * authenticates every request, and their predictions are metered against their credits); the
 * model is stored as a training node stores one: its artifact under the user's models/ key, its
 * row with the artifact's SHA-256 in their tenant scope.
 */
async function servePlatform(options: Extract<ServeRequest, { server: 'platform' }>): Promise<PredictTarget> {
  const artifact = readFileSync(options.artifactPath);
  const platform = await startLocalPlatform({
    dataDir: options.directory,
    port: 0,
    // Online predictions are metered (a credit per 1,000 rows): the new user's welcome credits
    // cover the run whatever the environment sets.
    env: { PW_SIGNUP_CREDITS: String(SIGNUP_CREDITS) },
  });
  cleanup.defer('stop the local platform', () => platform.stop());

  const signUp = await fetch(new URL('/auth/register', platform.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-${randomUUID()}@example.test`,
      password: 'prediction benchmark 42',
      fullName: 'Benchmark User',
    }),
  });
  const session = (await signUp.json()) as { user?: { id?: string }; accessToken?: string };
  const userId = session.user?.id;
  if (signUp.status !== 201 || !userId || !session.accessToken)
    throw new Error(`POST /auth/register answered ${signUp.status}: ${JSON.stringify(session)}`);

  const modelId = randomUUID();
  const artifactKey = objectKeys.model(userId, modelId);
  const parsed = parseArtifact(artifact.toString('utf8'));
  await platform.services.blobs.put(artifactKey, artifact, { contentType: 'application/json' });
  await withOwner(platform.services.db, { userId }, (trx) =>
    insertModel(trx, {
      id: modelId,
      ownerId: userId,
      name: 'prediction benchmark',
      algorithm: parsed.learner.kind,
      problemType: parsed.problemType,
      frameworkVersion: parsed.frameworkVersion,
      artifactKey,
      artifactSizeBytes: artifact.byteLength,
      artifactSha256: createHash('sha256').update(artifact).digest('hex'),
      metrics: {},
      hyperparameters: {},
      featureSchema: { inputs: parsed.signature.inputs },
    }),
  );
  return {
    url: `${platform.url}/models/${modelId}/predict`,
    headers: { authorization: `Bearer ${session.accessToken}` },
  };
}

/** `node:http` and the predictor: what answering the same request takes without the platform. */
async function serveBare(options: Extract<ServeRequest, { server: 'bare' }>): Promise<PredictTarget> {
  const predictor = loadPredictor(readFileSync(options.artifactPath, 'utf8'));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        answer(res, 200, predict(predictor, req, Buffer.concat(chunks)));
      } catch (error) {
        answer(res, 400, { detail: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  // As the local platform's server.
  server.keepAliveTimeout = 5_000;
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanup.defer('close the bare server', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/predict`, headers: {} };
}

/** The rows checked and cast as the platform does, and its answer's body (without `model`). */
function predict(predictor: ModelPredictor, req: IncomingMessage, body: Buffer): unknown {
  const parsed = JSON.parse(body.toString('utf8')) as { rows?: unknown };
  if (!Array.isArray(parsed.rows)) throw new Error('Send { "rows": [...] }.');
  const rows = parsed.rows as PredictionRow[];
  checkPredictionLimits(rows, Number(req.headers['content-length']));
  const result = predictor.predictTable(rowsToTable(predictor.signature, rows));
  const labels = (result.classes ?? []).map(String);
  const byClass = result.probabilities;
  return {
    predictions: result.predictions,
    probabilities: byClass
      ? rows.map((_, row) => Object.fromEntries(labels.map((label) => [label, byClass[label]?.[row] ?? 0])))
      : null,
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
