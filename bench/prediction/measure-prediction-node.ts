import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openDuckDbEngine } from '../../shared/adapters/duckdb/duckdb-sql-engine';
import { loadPredictor } from '../../shared/domain/learning/model-artifact';
import { predictNode } from '../../shared/domain/nodes/library/learning/predict-node';
import type { NodeContext } from '../../shared/domain/nodes/node-definition';
import { loadSplit } from '../learning/data';
import { peakRssBytes, resetPeakRss } from '../peak-rss';
import { FileBlobStore } from './file-blob-store';
import type {
  PredictionNodeInputResult,
  PredictionNodeResult,
  PredictionRequest,
} from './prediction-measurement';

/**
 * The `model.predict` node on its own, as the node runtime runs it on Lambda (run-job-node.ts):
 * a DuckDB session with the node runner's settings, a scratch directory, the model loaded through
 * the registered-models port. Objects are files (FileBlobStore), so no S3 transfer or object server
 * is in the figures. Its input, a Parquet file of the run's generated rows, is written by a process
 * of its own beforehand, so the node's process starts from the node's own memory only.
 */
export async function measurePredictionNode(
  request: Extract<PredictionRequest, { kind: 'prediction-node-input' | 'prediction-node' }>,
): Promise<PredictionNodeInputResult | PredictionNodeResult> {
  return request.kind === 'prediction-node-input' ? writeNodeInput(request) : runNode(request);
}

/** The Lambda node runner's DuckDB settings (functions/pipeline/node-runner/node-runner-handler.ts). */
const NODE_RUNNER_ENGINE = { threads: 2, memoryLimitMb: 2048 };
const USER_ID = '00000000-0000-4000-8000-000000000001';
const JOB_ID = '00000000-0000-4000-8000-000000000002';
const MODEL_ID = '00000000-0000-4000-8000-000000000003';
const INPUT_KEY = 'bench/input.parquet';

/** The training split (features and label) repeated until `rows` rows, as one Parquet file. */
async function writeNodeInput(
  request: Extract<PredictionRequest, { kind: 'prediction-node-input' }>,
): Promise<PredictionNodeInputResult> {
  const train = loadSplit(request.dataDir, 'train');
  const tables = await openDuckDbEngine({ allowedDirectories: [request.dataDir] });
  try {
    await tables.loadTable('base', [
      ...train.x.columns.map((values, j) => ({
        name: train.x.names[j] ?? `f${j}`,
        type: 'DOUBLE' as const,
        values,
      })),
      { name: 'label', type: 'DOUBLE', values: train.y.labels },
    ]);
    const copies = Math.ceil(request.rows / train.x.nRows);
    await tables.run(
      `COPY (SELECT base.* FROM range(${copies}) AS copies(n), base LIMIT ${request.rows}) ` +
        `TO '${request.parquetPath}' (FORMAT parquet)`,
    );
  } finally {
    tables.close();
  }
  return { kind: 'prediction-node-input', rows: request.rows, bytes: (await stat(request.parquetPath)).size };
}

async function runNode(
  request: Extract<PredictionRequest, { kind: 'prediction-node' }>,
): Promise<PredictionNodeResult> {
  await mkdir(request.directory, { recursive: true });
  try {
    const blobs = new FileBlobStore(join(request.directory, 'objects'));
    await mkdir(join(request.directory, 'objects', 'bench'), { recursive: true });
    await copyFile(request.parquetPath, join(request.directory, 'objects', ...INPUT_KEY.split('/')));
    const artifact = await readFile(request.artifactPath);
    const workDir = await mkdtemp(join(request.directory, 'scratch-'));
    const tables = await openDuckDbEngine({
      ...NODE_RUNNER_ENGINE,
      tempDirectory: join(workDir, 'spill'),
      allowedDirectories: [workDir],
    });
    const context: NodeContext = {
      jobId: JOB_ID,
      userId: USER_ID,
      nodeId: 'predict',
      nodeType: 'model.predict',
      attempt: 0,
      blobs,
      tables,
      workDir,
      signal: new AbortController().signal,
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined },
      outputKey: (port, extension) => `bench/output-${port}.${extension ?? 'parquet'}`,
      resolveDataset: () => Promise.reject(new Error('the benchmark names no dataset')),
      jobDataset: async () => null,
      learning: new Proxy({} as NodeContext['learning'], {
        get: () => () => Promise.reject(new Error('a prediction node records no experiments')),
      }),
      // The port's work without the database: the artifact's predictor, its SHA-256 checked.
      models: {
        load: async () => ({
          modelId: MODEL_ID,
          name: 'prediction benchmark',
          version: 1,
          sha256: createHash('sha256').update(artifact).digest('hex'),
          predictor: loadPredictor(artifact.toString('utf8')),
        }),
      },
      results: { record: async () => ({ resultId: 'bench', outputDataset: null }) },
      progress: async () => undefined,
    };
    const params = predictNode.params.parse({ model: MODEL_ID });
    const peakRssScope = resetPeakRss() ? 'step' : 'process';
    const startRssBytes = process.memoryUsage().rss;
    const started = performance.now();
    let result;
    try {
      result = await predictNode.run(context, { table: { key: INPUT_KEY } }, params);
    } finally {
      tables.close();
    }
    const wallMs = performance.now() - started;
    const peak = peakRssBytes();
    const { metrics } = result;
    return {
      kind: 'prediction-node',
      rows: Number(metrics['rowsPredicted']),
      batches: Number(metrics['batches']),
      wallMs,
      peakRssBytes: peak,
      peakRssScope,
      startRssBytes,
      accuracy: typeof metrics['accuracy'] === 'number' ? metrics['accuracy'] : null,
    };
  } finally {
    await rm(request.directory, { recursive: true, force: true });
  }
}
