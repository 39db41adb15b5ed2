import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../../shared/db/page-cursor';
import { ValidationError } from '../../../../shared/kernel/app-error';

const id = '0b8f5c2e-1d2a-4c3b-9e4f-5a6b7c8d9e0f';
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('page cursors', () => {
  it('round-trip the microsecond timestamp and the id exactly', () => {
    const position = { createdAt: '2026-11-21T22:17:01.123456Z', id };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('refuse to encode a position that is not in the exact form (a Date’s milliseconds would lose rows)', () => {
    expect(() => encodeCursor({ createdAt: new Date().toISOString(), id })).toThrow(/page position/);
  });

  it.each([
    ['not base64 JSON', 'nope'],
    ['an object', encoded({ createdAt: '2026-11-21T22:17:01.123456Z', id })],
    ['three entries', encoded(['2026-11-21T22:17:01.123456Z', id, 'x'])],
    ['no timestamp', encoded(['yesterday', id])],
    ['a bare number as the timestamp (a Date accepts "1")', encoded(['1', id])],
    ['a timestamp with milliseconds only', encoded(['2026-11-21T22:17:01.123Z', id])],
    ['PostgreSQL’s text form', encoded(['2026-11-21 22:17:01.123456+00', id])],
    ['an offset instead of Z', encoded(['2026-11-21T22:17:01.123456+02:00', id])],
    ['month 13', encoded(['2026-13-01T00:00:00.000000Z', id])],
    ['30 February', encoded(['2026-02-30T00:00:00.000000Z', id])],
    ['hour 24', encoded(['2026-11-21T24:00:00.000000Z', id])],
    ['second 60', encoded(['2026-11-21T23:59:60.000000Z', id])],
    ['year 0', encoded(['0000-01-01T00:00:00.000000Z', id])],
    ['an id that is not a uuid', encoded(['2026-11-21T22:17:01.123456Z', '1 OR 1=1'])],
    ['36 dashes as the id', encoded(['2026-11-21T22:17:01.123456Z', '-'.repeat(36)])],
  ])('refuse %s as a 400 naming the field, with a stable code', (_name, cursor) => {
    const attempt = () => decodeCursor(cursor);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(
      expect.objectContaining({ field: 'query.cursor', code: 'REQUEST.INVALID_CURSOR' }),
    );
  });
});
