import { randomBytes, randomUUID } from 'node:crypto';

export interface Ids {
  /** A random (v4) UUID. */
  uuid(): string;
  /** A URL-safe random token with `bytes` bytes of entropy. */
  token(bytes?: number): string;
}

export const randomIds: Ids = {
  uuid: () => randomUUID(),
  token: (bytes = 32) => randomBytes(bytes).toString('base64url'),
};

/** Deterministic ids for tests. */
export function sequentialIds(prefix = '00000000-0000-4000-8000-'): Ids {
  let n = 0;
  return {
    uuid: () => `${prefix}${(++n).toString(16).padStart(12, '0')}`,
    token: () => `token-${++n}`,
  };
}
