import { createHash, timingSafeEqual } from 'node:crypto';

/** Secrets (refresh tokens, API keys) carry 256 bits of entropy, so one SHA-256 is enough to store them. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
