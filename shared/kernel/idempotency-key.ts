import { ValidationError } from './app-error';

/**
 * The `Idempotency-Key` request header, read and checked the same way by every operation that
 * honours it (stored responses, jobs, credit grants).
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The header's value, or undefined when absent; a value that is not 1–255 visible ASCII characters is a 400. */
export function idempotencyKeyOf(headers: Record<string, string | undefined>): string | undefined {
  const raw = headers[IDEMPOTENCY_KEY_HEADER];
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ValidationError(
      `Idempotency-Key must be 1–${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters.`,
      { code: 'REQUEST.INVALID_IDEMPOTENCY_KEY', field: 'headers.idempotency-key' },
    );
  }
  return key;
}
