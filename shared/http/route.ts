import type { z } from 'zod';
import type { Caller, RequestContext } from '../kernel/request-context';
import type { Services } from '../ports/services';

/**
 * The contract between API routes, the Lambda handler stack, the local HTTP server, the CDK
 * API stack and the OpenAPI document. One `RouteSpec` per operation; routes are grouped per
 * Lambda function (`group`). CDK creates one function per group and one HTTP API route per
 * spec; the local server matches the same specs; `/openapi.json` is generated from them.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The `Allow` list of a path serving `methods`: HEAD wherever GET is (both runtimes serve it), and OPTIONS. */
export function allowHeader(methods: readonly HttpMethod[]): string {
  return methods
    .flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]))
    .concat('OPTIONS')
    .join(', ');
}

export type AuthRequirement = 'none' | 'user' | 'admin';

export type { Caller };

/** A request as route handlers see it: the request context plus what the client sent. */
export interface ApiRequest<P = unknown, Q = unknown, B = unknown> extends RequestContext {
  params: P;
  query: Q;
  body: B;
  headers: Record<string, string>;
  /** The raw body as received (needed to verify signatures such as Stripe's). */
  rawBody: string | undefined;
  /** The operation's method. Set by the HTTP stack; optional so tests may build requests by hand. */
  method?: HttpMethod;
  /** The request path as received (`/datasets/abc`). */
  path?: string;
  /** `scheme://host` the client used (API Gateway's domain or Host; forwarding headers only locally). */
  origin?: string | undefined;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Defaults to application/json when body is an object, text/html or text/plain when a string. */
  contentType?: string;
  /**
   * This answers a retry of an earlier request with the same Idempotency-Key (routes with
   * `idempotency.mode: 'own'` set it; `stored` replays are marked by the stack): the response
   * carries `idempotent-replayed: true`, with the status the first request got.
   */
  replayed?: boolean;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

/**
 * How an operation honours the `Idempotency-Key` header (checked the same way everywhere:
 * 1–255 visible ASCII characters, scoped to the caller and the operation).
 * - `stored`: the handler stack keeps the first successful response per key for 24 h and
 *   replays it to a retry of the same request (`shared/idempotency/stored-responses.ts`);
 * - `own`: the operation records the key with what it creates (a unique key on the row, in the
 *   same transaction) and answers a retry itself, with the first answer's status and
 *   `replayed: true` in its `ApiResponse`.
 */
export interface IdempotencySpec {
  mode: 'stored' | 'own';
  /** The header must be sent. */
  required?: boolean;
  /** `stored` only: what a replay shows instead of the first body (a secret shown once stays shown once). */
  storedBody?: (body: unknown) => unknown;
  /** Documented with the header (what a replay answers). */
  description?: string;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** API Gateway syntax: `/datasets/{datasetId}/versions/{version}`. */
  path: string;
  /** Which Lambda function serves it (`functions/api/{group}/handler.ts`). */
  group: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthRequirement;
  request?: { params?: P; query?: Q; body?: B };
  responses: Record<number, ResponseSpec>;
  /** Keep the raw body (webhooks verify signatures on it) and skip JSON parsing. */
  rawBody?: boolean;
  /**
   * The longest string this route's body may hold anywhere (default
   * `JSON_VALUE_LIMITS.stringChars`): routes that take a file as base64 raise it to the file's limit.
   */
  bodyStringChars?: number;
  /** `Idempotency-Key` support: every POST that creates has it. */
  idempotency?: IdempotencySpec;
  handle(request: ApiRequest<z.infer<P>, z.infer<Q>, z.infer<B>>, services: Services): Promise<ApiResponse>;
}

/** Identity function that keeps the zod types flowing into `handle`. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** `GET /datasets/{datasetId}` — the API Gateway v2 route key. */
export function routeKey(spec: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${spec.method} ${spec.path}`;
}
