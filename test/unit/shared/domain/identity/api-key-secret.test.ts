import { describe, expect, it } from 'vitest';
import {
  apiKeyPrefixOf,
  expandScopes,
  generateApiKeySecret,
  scopeForMethod,
} from '../../../../../shared/domain/identity/api-key-secret';
import { sha256Hex } from '../../../../../shared/domain/identity/token-hash';

describe('API key secrets', () => {
  it('generates distinct keys whose prefix is recoverable and whose hash is stored instead', () => {
    const one = generateApiKeySecret();
    const two = generateApiKeySecret();
    expect(one.key).not.toBe(two.key);
    expect(apiKeyPrefixOf(one.key)).toBe(one.prefix);
    expect(one.hash).toBe(sha256Hex(one.key));
    expect(one.hash).not.toContain(one.key.slice(16));
  });

  it('rejects malformed keys', () => {
    for (const bad of [
      '',
      'pw_',
      'pw_zzzzzzzzzzzz_abc',
      `sk_0123456789ab_${'a'.repeat(43)}`,
      `pw_0123456789ab_${'a'.repeat(42)}`,
    ]) {
      expect(apiKeyPrefixOf(bad), bad).toBeUndefined();
    }
  });

  it('nests scopes and maps methods to the scope they need', () => {
    expect(expandScopes(['read'])).toEqual(['read']);
    expect(expandScopes(['write'])).toEqual(['read', 'write']);
    expect(expandScopes(['admin'])).toEqual(['read', 'write', 'admin']);
    expect(expandScopes(['bogus'])).toEqual([]);
    expect(scopeForMethod('GET')).toBe('read');
    expect(['POST', 'PATCH', 'PUT', 'DELETE'].map(scopeForMethod)).toEqual([
      'write',
      'write',
      'write',
      'write',
    ]);
  });
});
