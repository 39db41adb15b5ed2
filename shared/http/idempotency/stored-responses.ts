import { createHash } from 'node:crypto';
import { withOwner } from '../../db/owner-filter';
import { jsonb, type JsonValue } from '../../db/schema';
import { ConflictError } from '../../kernel/app-error';
import type { ApiResponse } from '../route';
import { canonicalJson } from '../../kernel/canonical-json';
import type { Services } from '../../ports/services';

/**
 * Idempotency-Key by stored response: the first response to a (user, operation, key) is kept
 * for 24 hours and a retry of the same request gets it back (same status and body) without the
 * operation running again. The same key with a different request is a 409 naming the header;
 * a retry while the first request still runs is a 409 "in progress" with Retry-After (it does not
 * wait). Only successful (2xx) responses are kept: after an error the key is free again, so a
 * corrected retry can run. A row left "in progress" by a crashed request is taken over after
 * `IN_PROGRESS_LEASE_SECONDS`.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Longer than any API request may run (API Gateway gives up after 30 s). */
export const IN_PROGRESS_LEASE_SECONDS = 120;
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotentRequest {
  userId: string;
  /** What the key is scoped to: the route key, e.g. `POST /pipelines/{pipelineId}/clone`. */
  operation: string;
  key: string;
  /** The request's identity: path parameters and body, as validated. */
  request: unknown;
}

export interface StoredResponseOptions {
  /** What a replay shows instead of the first body (e.g. without a secret shown only once). */
  storedBody?: (body: unknown) => unknown;
}

/** Headers worth replaying: where the resource is, and caching rules. */
const KEPT_HEADERS = ['location', 'cache-control'];

export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

type Claim =
  | { kind: 'run' }
  | { kind: 'replay'; response: ApiResponse }
  | { kind: 'conflict' }
  | { kind: 'in-progress' };

export async function withStoredResponse(
  services: Pick<Services, 'db' | 'clock'>,
  idempotent: IdempotentRequest,
  run: () => Promise<ApiResponse>,
  options: StoredResponseOptions = {},
): Promise<ApiResponse> {
  const hash = requestHash(idempotent.request);
  const owner = { userId: idempotent.userId };
  const ids = { user_id: idempotent.userId, operation: idempotent.operation, key: idempotent.key };
  const now = services.clock.now();
  const expiresAt = new Date(now.getTime() + IDEMPOTENCY_TTL_SECONDS * 1000);
  const staleLock = new Date(now.getTime() - IN_PROGRESS_LEASE_SECONDS * 1000);

  const claim = await withOwner(services.db, owner, async (trx): Promise<Claim> => {
    const inserted = await trx
      .insertInto('idempotency_keys')
      .values({ ...ids, request_hash: hash, locked_at: now, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['user_id', 'operation', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { kind: 'run' };
    // Taken: an expired row, or one abandoned in progress, is started afresh (for this request).
    const takenOver = await trx
      .updateTable('idempotency_keys')
      .set({
        request_hash: hash,
        status: 'in_progress',
        response_status: null,
        response_headers: null,
        response_body: null,
        locked_at: now,
        expires_at: expiresAt,
      })
      .where('user_id', '=', ids.user_id)
      .where('operation', '=', ids.operation)
      .where('key', '=', ids.key)
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb.and([eb('status', '=', 'in_progress'), eb('locked_at', '<=', staleLock)]),
        ]),
      )
      .returning('key')
      .executeTakeFirst();
    if (takenOver) return { kind: 'run' };
    const row = await trx
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('user_id', '=', ids.user_id)
      .where('operation', '=', ids.operation)
      .where('key', '=', ids.key)
      .executeTakeFirst();
    // Gone between the two statements (its first request failed): a retry finds it free.
    if (!row) return { kind: 'in-progress' };
    if (row.request_hash !== hash) return { kind: 'conflict' };
    if (row.status !== 'completed' || row.response_status === null) return { kind: 'in-progress' };
    return {
      kind: 'replay',
      response: {
        status: row.response_status,
        headers: { ...(row.response_headers as Record<string, string>), [REPLAYED_HEADER]: 'true' },
        ...(row.response_body === null ? {} : { body: row.response_body }),
      },
    };
  });

  if (claim.kind === 'replay') return claim.response;
  if (claim.kind === 'conflict') {
    throw new ConflictError(
      'IDEMPOTENCY.KEY_REUSED',
      'This Idempotency-Key was already used with a different request: send a new key for a new request.',
      { field: 'headers.idempotency-key' },
    );
  }
  if (claim.kind === 'in-progress') {
    throw new ConflictError(
      'IDEMPOTENCY.IN_PROGRESS',
      'A request with this Idempotency-Key is still running: retry shortly for its response.',
      { field: 'headers.idempotency-key', details: { retryAfterSeconds: 1 } },
    );
  }

  const release = () =>
    withOwner(services.db, owner, (trx) =>
      trx
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', ids.user_id)
        .where('operation', '=', ids.operation)
        .where('key', '=', ids.key)
        .where('status', '=', 'in_progress')
        .execute(),
    );
  let response: ApiResponse;
  try {
    response = await run();
  } catch (error) {
    await release();
    throw error;
  }
  if (response.status < 200 || response.status >= 300) {
    await release();
    return response;
  }
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).filter(([name]) => KEPT_HEADERS.includes(name.toLowerCase())),
  );
  const body = response.body === undefined ? null : (options.storedBody ?? ((b) => b))(response.body);
  await withOwner(services.db, owner, (trx) =>
    trx
      .updateTable('idempotency_keys')
      .set({
        status: 'completed',
        response_status: response.status,
        response_headers: jsonb(headers),
        response_body: body === null ? null : jsonb(body as JsonValue),
      })
      .where('user_id', '=', ids.user_id)
      .where('operation', '=', ids.operation)
      .where('key', '=', ids.key)
      .execute(),
  );
  return response;
}
