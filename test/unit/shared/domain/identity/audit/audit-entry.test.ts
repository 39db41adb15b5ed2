import { describe, expect, it } from 'vitest';
import { auditEntry, diffChanges } from '../../../../../../shared/domain/identity/audit/record-audit';
import { decodeCursor, encodeCursor } from '../../../../../../shared/db/page-cursor';
import { ValidationError } from '../../../../../../shared/kernel/app-error';

describe('audit entries', () => {
  it('takes the actor, ip, user agent and request id from the request', () => {
    const entry = auditEntry(
      {
        caller: { userId: 'u-1', role: 'user', via: 'jwt', scopes: [] },
        sourceIp: '203.0.113.9',
        userAgent: 'cli/1.0',
        requestId: 'req-1',
      },
      'dataset.update',
      { type: 'dataset', id: 'd-1' },
      { name: { from: 'a', to: 'b' } },
    );
    expect(entry).toEqual({
      actorId: 'u-1',
      action: 'dataset.update',
      resourceType: 'dataset',
      resourceId: 'd-1',
      changes: { name: { from: 'a', to: 'b' } },
      ip: '203.0.113.9',
      userAgent: 'cli/1.0',
      requestId: 'req-1',
    });
  });

  it('diffs only the fields that changed', () => {
    expect(
      diffChanges({ name: 'a', tags: ['x'], size: 1 }, { name: 'b', tags: ['x'], size: undefined }),
    ).toEqual({
      name: { from: 'a', to: 'b' },
    });
  });
});

describe('page cursors', () => {
  it('round-trips and refuses tampered cursors', () => {
    const position = {
      createdAt: '2026-11-21T12:00:00.123456Z',
      id: '00000000-0000-4000-8000-000000000001',
    };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    for (const bad of [
      'nope',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('["x","y"]').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
    }
  });
});
