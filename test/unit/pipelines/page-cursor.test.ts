import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/errors/app-error';
import { decodePageCursor, encodePageCursor } from '../../../shared/pipelines/page-cursor';

describe('page cursors', () => {
  it('round-trip the microsecond timestamp and id exactly', () => {
    const cursor = { at: '2026-11-21T22:17:01.123456Z', id: '0b8f5c2e-1d2a-4c3b-9e4f-5a6b7c8d9e0f' };

    expect(decodePageCursor(encodePageCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', 'nope'],
    ['a JSON value of the wrong shape', Buffer.from('{"at":1}').toString('base64url')],
    [
      'a millisecond timestamp',
      Buffer.from('["2026-11-21T22:17:01.123Z","0b8f5c2e-1d2a-4c3b-9e4f-5a6b7c8d9e0f"]').toString(
        'base64url',
      ),
    ],
    [
      'an id that is not a uuid',
      Buffer.from(`["2026-11-21T22:17:01.123456Z","1 OR 1=1"]`).toString('base64url'),
    ],
  ])('rejects %s as a 400 naming query.cursor', (_name, text) => {
    const attempt = () => decodePageCursor(text);

    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(expect.objectContaining({ field: 'query.cursor' }));
  });
});
