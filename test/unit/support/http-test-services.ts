import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { loadConfig } from '../../../shared/config/config';
import type { DB } from '../../../shared/db/schema';
import { inMemoryMetrics } from '../../../shared/observability/metrics.port';
import { systemClock } from '../../../shared/kernel/clock.port';
import type { HealthCheck } from '../../../shared/ports/health.port';
import { randomIds } from '../../../shared/kernel/ids.port';
import type { Services } from '../../../shared/ports/services';

/** A Powertools logger that keeps what it would print, so tests can read the log. */
export class RecordingLogger extends Logger {
  readonly records: Record<string, unknown>[] = [];
  constructor() {
    super({ serviceName: 'pipeweave-test', logLevel: 'DEBUG' });
  }
  protected override printLog(_level: number, log: LogItem): void {
    // Through Powertools' own replacer, so errors appear as they would in CloudWatch.
    this.records.push(
      JSON.parse(JSON.stringify(log.getAttributes(), this.getJsonReplacer())) as Record<string, unknown>,
    );
  }
  text(): string {
    return JSON.stringify(this.records);
  }
}

/**
 * The HTTP layer uses config, logger, metrics and health only. Ports it must never touch are
 * objects that fail loudly, so a test notices if a middleware starts depending on them.
 */
function untouchable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined; // not a thenable
      throw new Error(`The HTTP layer touched services.${name}.${String(property)}`);
    },
  });
}

export function httpTestServices(
  options: {
    health?: HealthCheck[];
    corsOrigins?: string;
    publicUrl?: string;
    runtime?: 'aws' | 'local';
  } = {},
) {
  const logger = new RecordingLogger();
  const metrics = inMemoryMetrics();
  const config = loadConfig({
    PW_RUNTIME: options.runtime ?? 'local',
    PW_LOG_LEVEL: 'SILENT',
    PW_CORS_ORIGINS: options.corsOrigins ?? '*',
    ...(options.publicUrl ? { PW_PUBLIC_URL: options.publicUrl } : {}),
  });
  // Kysely's compile-only dialect: a real query builder that never opens a connection.
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const services: Services = {
    config,
    db,
    blobs: untouchable('blobs'),
    queues: untouchable('queues'),
    orchestrator: untouchable('orchestrator'),
    scheduler: untouchable('scheduler'),
    clock: systemClock,
    ids: randomIds,
    logger,
    metrics,
    health: options.health ?? [],
  };
  return { services, logger, metrics };
}

/** A health check whose answer the test sets. */
export function switchableCheck(name: string, initial: 'up' | 'down' = 'up') {
  let state: 'up' | 'down' | 'throw' | 'hang' = initial;
  const check: HealthCheck = {
    name,
    async check() {
      if (state === 'throw') throw new Error(`password=hunter2 ${name} exploded`);
      if (state === 'hang') return new Promise(() => {});
      return state === 'up'
        ? { status: 'up', detail: `${name} ok` }
        : { status: 'down', detail: `${name} unreachable` };
    },
  };
  return { check, set: (next: typeof state) => (state = next) };
}

export interface EventInput {
  method: string;
  path: string;
  routeKey?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
}

/** An API Gateway HTTP API payload v2.0 event, shaped like the ones API Gateway sends. */
export function apiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const now = new Date();
  const routeKey = input.routeKey ?? `${input.method} ${input.path}`;
  const rawQueryString = new URLSearchParams(input.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey,
    rawPath: input.path,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'vitest',
      'x-forwarded-proto': 'https',
      ...input.headers,
    },
    ...(input.query ? { queryStringParameters: input.query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: input.method,
        path: input.path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'vitest',
      },
      requestId: `apigw-${randomUUID()}`,
      routeKey,
      stage: '$default',
      time: '21/Nov/2026:10:00:00 +0000',
      timeEpoch: now.getTime(),
    },
    ...(input.pathParameters ? { pathParameters: input.pathParameters } : {}),
    ...(input.body !== undefined ? { body: input.body } : {}),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
}

export function lambdaContext(): Context {
  const fail = () => {
    throw new Error('callback-style completion is not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'pipeweave-api-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pipeweave-api-test',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/pipeweave-api-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: fail,
    fail,
    succeed: fail,
  };
}
