import { randomBytes } from 'node:crypto';
import { sha256Hex } from './token-hash';

/**
 * API keys look like `pw_<12 hex prefix>_<43 base64url secret>`. The prefix is stored in clear
 * (lookup, and shown in listings so users recognise their keys); the whole key only as SHA-256.
 */
export const API_KEY_PREFIX = 'pw_';
const PREFIX_LENGTH = 12;
const KEY_PATTERN = /^pw_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface NewApiKeySecret {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKeySecret(): NewApiKeySecret {
  const prefix = randomBytes(PREFIX_LENGTH / 2).toString('hex');
  const key = `${API_KEY_PREFIX}${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: sha256Hex(key) };
}

/** The stored prefix of a well-formed key, or undefined. */
export function apiKeyPrefixOf(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/**
 * Scopes nest: `write` includes `read`, `admin` includes both. A GET needs `read`, any other
 * method `write`; admin routes also need `admin` (an admin's key without it acts as a user).
 */
export function expandScopes(scopes: readonly string[]): ApiKeyScope[] {
  const out = new Set<ApiKeyScope>();
  if (scopes.includes('admin')) out.add('admin').add('write').add('read');
  if (scopes.includes('write')) out.add('write').add('read');
  if (scopes.includes('read')) out.add('read');
  return API_KEY_SCOPES.filter((s) => out.has(s));
}

export function scopeForMethod(method: string): ApiKeyScope {
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'read' : 'write';
}
