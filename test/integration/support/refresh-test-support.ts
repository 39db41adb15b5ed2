import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalScheduler } from '../../../infra/local/local-scheduler';
import { loadConfig } from '../../../shared/config/config';
import type { Config } from '../../../shared/config/config';
import {
  findDataset,
  insertDataset,
  updateDataset,
} from '../../../shared/domain/datasets/dataset-repository';
import type { Dataset } from '../../../shared/domain/datasets/dataset-records';
import type { Database } from '../../../shared/db/database';
import { withSystemScope, withTenant } from '../../../shared/db/tenant';
import type { Logger } from '../../../shared/observability/logger';
import { createLogger } from '../../../shared/observability/logger';
import { inMemoryMetrics } from '../../../shared/observability/metrics.port';
import type { BlobStore } from '../../../shared/ports/blob-store.port';
import { fixedClock } from '../../../shared/kernel/clock.port';
import { randomIds } from '../../../shared/kernel/ids.port';
import type { Orchestrator } from '../../../shared/ports/orchestrator.port';
import type { QueuePublisher } from '../../../shared/ports/queue.port';
import type { Scheduler } from '../../../shared/ports/scheduler.port';
import type { Services } from '../../../shared/ports/services';
import { MemoryBlobs } from './memory-blobs';

/**
 * A real HTTPS server on this machine for refresh sources (a throwaway certificate for
 * `localhost`, allow-listed the way the local runtime allows it), and the services a refresh runs
 * with: PostgreSQL, a blob store, a scheduler, a clock the test moves.
 */
export type SourceRoute = (req: IncomingMessage, res: ServerResponse) => void;

export interface SourceServer {
  origin: string;
  ca: Buffer;
  /** Paths requested, in order. */
  requests: string[];
  routes: Map<string, SourceRoute>;
  close(): Promise<void>;
}

export async function startSourceServer(): Promise<SourceServer> {
  const certDir = await mkdtemp(path.join(tmpdir(), 'pw-refresh-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { cwd: certDir, stdio: 'ignore' },
  );
  const ca = await readFile(path.join(certDir, 'cert.pem'));
  const key = await readFile(path.join(certDir, 'key.pem'));
  await rm(certDir, { recursive: true, force: true });
  const requests: string[] = [];
  const routes = new Map<string, SourceRoute>();
  const server = createServer({ key, cert: ca }, (req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://localhost:${(server.address() as AddressInfo).port}`,
    ca,
    requests,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const resolveLocal = async () => [{ address: '127.0.0.1', family: 4 }];

export function refreshConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PW_RUNTIME: 'local',
    PW_LOG_LEVEL: 'SILENT',
    PW_REFRESH_ALLOWED_HOSTS: 'localhost',
    PW_BUCKET: 'test-bucket',
    ...env,
  });
}

function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`A refresh touched services.${name}.${String(property)}`);
    },
  });
}

export function refreshServices(
  db: Database,
  parts: { blobs?: BlobStore; scheduler?: Scheduler; config?: Config; logger?: Logger; start?: string } = {},
) {
  const config = parts.config ?? refreshConfig();
  const clock = fixedClock(parts.start ?? '2026-05-01T10:00:00Z');
  const services: Services = {
    config,
    db,
    blobs: parts.blobs ?? new MemoryBlobs(),
    queues: unused<QueuePublisher>('queues'),
    orchestrator: unused<Orchestrator>('orchestrator'),
    scheduler: parts.scheduler ?? new LocalScheduler({ clock }),
    clock,
    ids: randomIds,
    logger: parts.logger ?? createLogger(config),
    metrics: inMemoryMetrics(),
    health: [],
  };
  return { services, clock };
}

/** A tabular dataset of `userId` refreshed from `sourceUrl`, due at `dueAt`. */
export async function datasetWithRefresh(
  db: Database,
  userId: string,
  refresh: { sourceUrl: string; schedule: string; dueAt: Date; name?: string },
): Promise<Dataset> {
  const dataset = await withTenant(db, { userId, role: 'user' }, async (trx) => {
    const created = await insertDataset(trx, {
      userId,
      name: refresh.name ?? `feed-${Math.random().toString(36).slice(2, 8)}`,
      modality: 'tabular',
    });
    return updateDataset(
      trx,
      { userId, datasetId: created.id },
      { refresh: { sourceUrl: refresh.sourceUrl, schedule: refresh.schedule, nextRefreshAt: refresh.dueAt } },
    );
  });
  if (!dataset) throw new Error('dataset missing');
  return dataset;
}

export async function reloadDataset(db: Database, dataset: { id: string; userId: string }): Promise<Dataset> {
  const found = await withTenant(db, { userId: dataset.userId, role: 'user' }, (trx) =>
    findDataset(trx, { userId: dataset.userId, datasetId: dataset.id }),
  );
  if (!found) throw new Error('dataset missing');
  return found;
}

export async function versionsOf(db: Database, datasetId: string) {
  return withSystemScope(db, 'admin.test-check', (trx) =>
    trx
      .selectFrom('dataset_versions')
      .select(['version_number', 'source_type', 'status', 'original_size_bytes', 'validation_errors'])
      .where('dataset_id', '=', datasetId)
      .orderBy('version_number')
      .execute(),
  );
}
