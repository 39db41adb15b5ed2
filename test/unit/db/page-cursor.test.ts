import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../shared/db/page-cursor';
import { ValidationError } from '../../../shared/errors/app-error';

const id = '0b8f5c2e-1d2a-4c3b-9e4f-5a6b7c8d9e0f';
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('page cursors', () => {
  it.each([
    ['PostgreSQL text with microseconds', '2026-11-21 22:17:01.123456+00'],
    ['ISO with microseconds', '2026-11-21T22:17:01.123456Z'],
    ['ISO with milliseconds', '2026-11-21T22:17:01.123Z'],
  ])('round-trip a position whose timestamp is %s, unchanged', (_name, createdAt) => {
    expect(decodeCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt, id });
  });

  it.each([
    ['not base64 JSON', 'nope'],
    ['an object', encoded({ createdAt: '2026-11-21T22:17:01Z', id })],
    ['three entries', encoded(['2026-11-21T22:17:01Z', id, 'x'])],
    ['no timestamp', encoded(['yesterday', id])],
    ['an id that is not a uuid', encoded(['2026-11-21T22:17:01Z', '1 OR 1=1'])],
    ['36 dashes as the id', encoded(['2026-11-21T22:17:01Z', '-'.repeat(36)])],
  ])('refuse %s as a 400 naming the field, with a stable code', (_name, cursor) => {
    const attempt = () => decodeCursor(cursor);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      expect.objectContaining({ field: 'query.cursor', code: 'REQUEST.INVALID_CURSOR' }),
    );
  });
});
