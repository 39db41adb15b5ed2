import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { DatabaseTransaction } from '../../db/database';
import type { RefreshTokenRevokedReason } from '../../db/schema';
import { sha256Hex } from './token-hash';

/**
 * Refresh tokens: 256 random bits, stored only as SHA-256. Each is single use: a refresh revokes
 * it (`rotated`) and issues the next one of the same family (one family per sign-in). Presenting
 * a rotated token again means it was copied: the whole family is revoked.
 */
export interface NewRefreshToken {
  id: string;
  token: string;
  familyId: string;
  expiresAt: Date;
}

export interface TokenOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export async function insertRefreshToken(
  trx: DatabaseTransaction,
  input: { userId: string; familyId: string; now: Date; ttlSeconds: number; origin: TokenOrigin },
): Promise<NewRefreshToken> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + input.ttlSeconds * 1000);
  const row = await trx
    .insertInto('refresh_tokens')
    .values({
      user_id: input.userId,
      token_hash: sha256Hex(token),
      family_id: input.familyId,
      expires_at: expiresAt,
      user_agent: input.origin.userAgent ? input.origin.userAgent.slice(0, 512) : null,
      ip_address: input.origin.ip && isIP(input.origin.ip) ? input.origin.ip : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token, familyId: input.familyId, expiresAt };
}

export async function revokeFamily(
  trx: DatabaseTransaction,
  familyId: string,
  reason: RefreshTokenRevokedReason,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('refresh_tokens')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeAllForUser(
  trx: DatabaseTransaction,
  userId: string,
  reason: RefreshTokenRevokedReason,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('refresh_tokens')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

export function findRefreshToken(trx: DatabaseTransaction, token: string) {
  return trx
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', sha256Hex(token))
    .forUpdate()
    .executeTakeFirst();
}
