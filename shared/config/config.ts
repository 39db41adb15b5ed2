import * as z from 'zod';

/**
 * The one place that reads the environment. Everything else receives a typed `Config` (or the
 * part of it it needs). Each Lambda gets only the variables its stack gives it, so sections are
 * optional here and a composition root asks for the sections it needs with `requireSection`,
 * which fails at cold start with the name of the missing variable.
 */

import type { QueueModality } from '../kernel/modality';
import { isWorkQueue, WORK_QUEUES, type WorkQueue } from '../kernel/work-queues';

export type { QueueModality, WorkQueue };

const logLevel = z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']);

/** A variable holding JSON, parsed and then checked against `schema`. */
function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const jsonRecord = jsonVariable(z.record(z.string(), z.string()));

const tierLimitsOverride = z.strictObject({
  maxFileBytes: z.number().int().positive().optional(),
  maxDatasets: z.number().int().nonnegative().optional(),
  maxStorageBytes: z.number().int().nonnegative().optional(),
  maxUnpackedBytes: z.number().int().positive().optional(),
});

const envSchema = z.object({
  PW_RUNTIME: z.enum(['aws', 'local']).default('aws'),
  PW_SERVICE_NAME: z.string().default('pipeweave'),
  PW_LOG_LEVEL: logLevel.default('INFO'),
  AWS_REGION: z.string().default('us-east-1'),

  PW_DB_DRIVER: z.enum(['data-api', 'postgres']).optional(),
  PW_DATABASE_URL: z.string().url().optional(),
  PW_DB_CLUSTER_ARN: z.string().optional(),
  PW_DB_SECRET_ARN: z.string().optional(),
  PW_DB_NAME: z.string().default('pipeweave'),

  PW_BUCKET: z.string().optional(),
  /** Only set for the local object store; absent in AWS. */
  PW_S3_ENDPOINT: z.string().url().optional(),

  /** `{"tabular":"https://sqs…","exports":…}`: the URL of each work queue (per data modality, and exports). */
  PW_QUEUE_URLS: jsonRecord.optional(),
  /** `{"run-pipeline":"arn:aws:states:…"}`: state machine ARNs by machine name. */
  PW_STATE_MACHINE_ARNS: jsonRecord.optional(),

  PW_SCHEDULER_GROUP: z.string().optional(),
  PW_SCHEDULER_ROLE_ARN: z.string().optional(),
  PW_SCHEDULER_TARGET_ARN: z.string().optional(),

  PW_PUBLIC_URL: z.string().url().optional(),
  /**
   * Comma-separated origins browsers may call the API from; `*` allows any, and only when set so.
   * Unset: the platform's own origin (PW_PUBLIC_URL's, else the local server's).
   */
  PW_CORS_ORIGINS: z.string().optional(),

  /** AWS: Secrets Manager secret holding `{"secretKey":"sk_…","webhookSigningSecret":"whsec_…"}`. */
  PW_STRIPE_SECRET_ARN: z.string().optional(),
  /** Local use: the keys themselves (they win over the secret when set). */
  PW_STRIPE_SECRET_KEY: z.string().optional(),
  PW_STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Credits a new account starts with (a `grant` in its ledger); 0 turns the welcome grant off. */
  PW_SIGNUP_CREDITS: z.coerce.number().int().min(0).max(100_000_000).default(1_000),
  /** Where Stripe Checkout sends the buyer after paying or cancelling (default: the API's own URL). */
  PW_CHECKOUT_SUCCESS_URL: z.string().url().optional(),
  PW_CHECKOUT_CANCEL_URL: z.string().url().optional(),

  PW_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PW_HTTP_HOST: z.string().default('127.0.0.1'),
  PW_DATA_DIR: z.string().default('.pipeweave'),
  /** Local runtime only: fixed ports for the embedded PostgreSQL and S3 servers (0 = any free port). */
  PW_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  PW_S3_PORT: z.coerce.number().int().min(0).max(65535).default(0),

  /** HS256 key for access tokens (at least 32 characters). Local/dev only; AWS reads PW_JWT_SECRET_ARN. */
  PW_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Secrets Manager secret holding the access-token signing key (AWS). */
  PW_JWT_SECRET_ARN: z.string().optional(),
  PW_JWT_ISSUER: z.string().default('pipeweave'),
  PW_JWT_AUDIENCE: z.string().default('pipeweave-api'),
  PW_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  PW_REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .default(30 * 24 * 3600),

  /** Per-tier overrides of the dataset limits, e.g. `{"free":{"maxFileBytes":1048576}}`. */
  PW_TIER_LIMITS: jsonVariable(
    z.partialRecord(z.enum(['free', 'pro', 'enterprise']), tierLimitsOverride),
  ).optional(),
  /** Local runtime only: comma-separated hosts a dataset refresh may fetch although they resolve to private addresses. */
  PW_REFRESH_ALLOWED_HOSTS: z.string().optional(),
  /** Local runtime only: a PEM certificate alert webhooks trust besides the system's (a test receiver's). */
  PW_ALERT_WEBHOOK_CA_PEM: z.string().optional(),

  /** Fargate node task only: set by the state machine's RunTask container overrides. */
  PW_TASK_TOKEN: z.string().min(1).optional(),
  PW_JOB_ID: z.string().min(1).optional(),
  PW_NODE_ID: z.string().min(1).optional(),
});

export type Env = z.input<typeof envSchema>;

export interface DatabaseConfig {
  driver: 'data-api' | 'postgres';
  url?: string;
  clusterArn?: string;
  secretArn?: string;
  name: string;
}

export interface Config {
  runtime: 'aws' | 'local';
  serviceName: string;
  logLevel: z.infer<typeof logLevel>;
  region: string;
  database?: DatabaseConfig;
  storage?: { bucket: string; endpoint?: string };
  queues?: Partial<Record<WorkQueue, string>>;
  stateMachines?: Record<string, string>;
  scheduler?: { group: string; roleArn?: string; targetArn?: string };
  /** Absent when billing is not configured: Checkout and the Stripe webhook then answer 503. */
  stripe?: StripeConfig;
  billing: BillingConfig;
  http: { publicUrl?: string; corsOrigins: string[]; port: number; host: string };
  local: { dataDir: string; postgresPort: number; s3Port: number };
  auth: AuthConfig;
  datasets?: DatasetsConfig;
  /** The node a Fargate task runs and the task token it reports back with (absent everywhere else). */
  nodeTask?: { taskToken: string; jobId: string; nodeId: string };
}

export interface AuthConfig {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Signing key material given directly (local, tests). */
  jwtSecret?: string;
  /** Secrets Manager ARN of the signing key (AWS). */
  jwtSecretArn?: string;
}

/** Where the Stripe keys come from: given directly (local) and/or a Secrets Manager secret (AWS). */
export interface StripeConfig {
  secretArn?: string;
  secretKey?: string;
  webhookSigningSecret?: string;
}

export interface BillingConfig {
  /** Credits granted to every new account. */
  signupCredits: number;
  checkoutSuccessUrl?: string;
  checkoutCancelUrl?: string;
}

export interface DatasetsConfig {
  tierLimits: Partial<Record<'free' | 'pro' | 'enterprise', z.infer<typeof tierLimitsOverride>>>;
  /** Hosts exempt from the refresh fetcher's private-address refusal (never set in AWS). */
  refreshAllowedHosts: string[];
  /** An extra certificate alert webhooks trust (local runtime only). */
  alertWebhookCaPem?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * `loadConfig` over the process environment, with `defaults` beneath it and `extra` variables
 * on top (a composition root's own settings), so no other module needs to read `process.env`.
 */
export function loadConfigWith(layers: {
  defaults?: Record<string, string | undefined>;
  extra?: Record<string, string | undefined>;
}): Config {
  return loadConfig({ ...layers.defaults, ...process.env, ...layers.extra });
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;

  let database: DatabaseConfig | undefined;
  const driver =
    e.PW_DB_DRIVER ?? (e.PW_DATABASE_URL ? 'postgres' : e.PW_DB_CLUSTER_ARN ? 'data-api' : undefined);
  if (driver === 'postgres') {
    if (!e.PW_DATABASE_URL) throw new ConfigError('PW_DATABASE_URL is required when PW_DB_DRIVER=postgres');
    database = { driver, url: e.PW_DATABASE_URL, name: e.PW_DB_NAME };
  } else if (driver === 'data-api') {
    if (!e.PW_DB_CLUSTER_ARN || !e.PW_DB_SECRET_ARN) {
      throw new ConfigError('PW_DB_CLUSTER_ARN and PW_DB_SECRET_ARN are required when PW_DB_DRIVER=data-api');
    }
    database = { driver, clusterArn: e.PW_DB_CLUSTER_ARN, secretArn: e.PW_DB_SECRET_ARN, name: e.PW_DB_NAME };
  }

  return {
    runtime: e.PW_RUNTIME,
    serviceName: e.PW_SERVICE_NAME,
    logLevel: e.PW_LOG_LEVEL,
    region: e.AWS_REGION,
    ...(database ? { database } : {}),
    ...(e.PW_BUCKET
      ? { storage: { bucket: e.PW_BUCKET, ...(e.PW_S3_ENDPOINT ? { endpoint: e.PW_S3_ENDPOINT } : {}) } }
      : {}),
    ...(e.PW_QUEUE_URLS ? { queues: pickQueues(e.PW_QUEUE_URLS) } : {}),
    ...(e.PW_STATE_MACHINE_ARNS ? { stateMachines: e.PW_STATE_MACHINE_ARNS } : {}),
    ...(e.PW_SCHEDULER_GROUP
      ? {
          scheduler: {
            group: e.PW_SCHEDULER_GROUP,
            ...(e.PW_SCHEDULER_ROLE_ARN ? { roleArn: e.PW_SCHEDULER_ROLE_ARN } : {}),
            ...(e.PW_SCHEDULER_TARGET_ARN ? { targetArn: e.PW_SCHEDULER_TARGET_ARN } : {}),
          },
        }
      : {}),
    ...stripeSection(e),
    billing: {
      signupCredits: e.PW_SIGNUP_CREDITS,
      ...(e.PW_CHECKOUT_SUCCESS_URL ? { checkoutSuccessUrl: e.PW_CHECKOUT_SUCCESS_URL } : {}),
      ...(e.PW_CHECKOUT_CANCEL_URL ? { checkoutCancelUrl: e.PW_CHECKOUT_CANCEL_URL } : {}),
    },
    http: {
      ...(e.PW_PUBLIC_URL ? { publicUrl: e.PW_PUBLIC_URL } : {}),
      corsOrigins: corsOriginsOf(e),
      port: e.PW_HTTP_PORT,
      host: e.PW_HTTP_HOST,
    },
    local: { dataDir: e.PW_DATA_DIR, postgresPort: e.PW_PG_PORT, s3Port: e.PW_S3_PORT },
    auth: {
      issuer: e.PW_JWT_ISSUER,
      audience: e.PW_JWT_AUDIENCE,
      accessTokenTtlSeconds: e.PW_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.PW_REFRESH_TOKEN_TTL_SECONDS,
      ...(e.PW_JWT_SECRET ? { jwtSecret: e.PW_JWT_SECRET } : {}),
      ...(e.PW_JWT_SECRET_ARN ? { jwtSecretArn: e.PW_JWT_SECRET_ARN } : {}),
    },
    datasets: {
      tierLimits: e.PW_TIER_LIMITS ?? {},
      refreshAllowedHosts: refreshAllowedHosts(e.PW_RUNTIME, e.PW_REFRESH_ALLOWED_HOSTS),
      ...(e.PW_ALERT_WEBHOOK_CA_PEM && e.PW_RUNTIME === 'local'
        ? { alertWebhookCaPem: e.PW_ALERT_WEBHOOK_CA_PEM }
        : {}),
    },
    ...(e.PW_TASK_TOKEN && e.PW_JOB_ID && e.PW_NODE_ID
      ? { nodeTask: { taskToken: e.PW_TASK_TOKEN, jobId: e.PW_JOB_ID, nodeId: e.PW_NODE_ID } }
      : {}),
  };
}

function stripeSection(e: z.infer<typeof envSchema>): { stripe?: StripeConfig } {
  const stripe: StripeConfig = {
    ...(e.PW_STRIPE_SECRET_ARN ? { secretArn: e.PW_STRIPE_SECRET_ARN } : {}),
    ...(e.PW_STRIPE_SECRET_KEY ? { secretKey: e.PW_STRIPE_SECRET_KEY } : {}),
    ...(e.PW_STRIPE_WEBHOOK_SECRET ? { webhookSigningSecret: e.PW_STRIPE_WEBHOOK_SECRET } : {}),
  };
  return Object.keys(stripe).length > 0 ? { stripe } : {};
}

function refreshAllowedHosts(runtime: 'aws' | 'local', value: string | undefined): string[] {
  const hosts = (value ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  // The exemption exists for test servers on one machine; in AWS it would reopen SSRF to the VPC.
  if (hosts.length > 0 && runtime !== 'local') {
    throw new ConfigError(
      'PW_REFRESH_ALLOWED_HOSTS is only accepted by the local runtime (PW_RUNTIME=local).',
    );
  }
  return hosts;
}

function pickQueues(urls: Record<string, string>): Partial<Record<WorkQueue, string>> {
  const out: Partial<Record<WorkQueue, string>> = {};
  for (const [key, url] of Object.entries(urls)) {
    if (!isWorkQueue(key)) {
      throw new ConfigError(`PW_QUEUE_URLS has an unknown queue "${key}" (known: ${WORK_QUEUES.join(', ')})`);
    }
    out[key] = url;
  }
  return out;
}

/** Fail early, naming the variable, when a composition root needs a section that is not set. */
export function requireSection<K extends keyof Config>(
  config: Config,
  key: K,
  envName: string,
): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) {
    throw new ConfigError(`Configuration "${String(key)}" is missing: set ${envName}.`);
  }
  return value as NonNullable<Config[K]>;
}

/** PW_CORS_ORIGINS as a list; unset, the platform's own origin only. */
function corsOriginsOf(e: z.infer<typeof envSchema>): string[] {
  if (e.PW_CORS_ORIGINS !== undefined) {
    return e.PW_CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (e.PW_PUBLIC_URL) return [new URL(e.PW_PUBLIC_URL).origin];
  return [
    `http://${e.PW_HTTP_HOST.includes(':') ? `[${e.PW_HTTP_HOST}]` : e.PW_HTTP_HOST}:${e.PW_HTTP_PORT}`,
  ];
}
