import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  passwordProblem,
  verifyPassword,
} from '../../../../../shared/domain/identity/passwords';
import { lockSecondsAfter } from '../../../../../shared/domain/identity/sessions';

describe('password rules', () => {
  it.each([
    ['short1!', 'min_length'],
    ['x1'.repeat(200), 'max_length'],
    ['onlylettersinhere', 'character_variety'],
    ['123456789012345', 'character_variety'],
    ['alice.smith 2024!', 'contains_email'],
    ['Password1234', 'common_password'],
  ])('refuses %j by the %s rule', (password, rule) => {
    expect(passwordProblem(password, 'alice.smith@example.com')?.rule).toBe(rule);
  });

  it('accepts a passphrase with a space or digit', () => {
    expect(passwordProblem('correct horse battery', 'bob@example.com')).toBeUndefined();
    expect(passwordProblem('tr0ub4dor&3xyz', 'bob@example.com')).toBeUndefined();
  });
});

describe('password hashing', () => {
  it('hashes with argon2id at OWASP minimums and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery!')).toBe(false);
    expect(await verifyPassword('not a hash', 'correct horse battery')).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
  });
});

describe('lockout schedule', () => {
  it('tolerates a few typos, then locks for a doubling while, capped at an hour', () => {
    expect([1, 2, 3, 4].map(lockSecondsAfter)).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8].map(lockSecondsAfter)).toEqual([30, 60, 120, 240]);
    expect(lockSecondsAfter(40)).toBe(3600);
  });
});
