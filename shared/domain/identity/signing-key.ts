import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../../config/config';
import type { SecretReader } from '../../ports/secret-reader.port';

/**
 * The HS256 key that signs access tokens, resolved once per process:
 * - `PW_JWT_SECRET` when set (tests, a fixed local key);
 * - AWS: the Secrets Manager secret `PW_JWT_SECRET_ARN`, read through the services' `secrets` port;
 * - local runtime without either: a random key generated on first start and kept under the data
 *   directory, so tokens survive a restart of `npm start`.
 */
const MIN_KEY_BYTES = 32;
const LOCAL_KEY_FILE = path.join('identity', 'jwt-signing-key');

const cache = new Map<string, Promise<Uint8Array>>();

export function signingKeyFor(config: Config, secrets?: SecretReader): Promise<Uint8Array> {
  const { auth } = config;
  const cacheKey = auth.jwtSecret
    ? `secret:${auth.jwtSecret}`
    : auth.jwtSecretArn
      ? `arn:${auth.jwtSecretArn}`
      : `file:${path.resolve(config.local.dataDir)}`;
  let key = cache.get(cacheKey);
  if (!key) {
    key = loadKey(config, secrets);
    cache.set(cacheKey, key);
    // A failed load (Secrets Manager throttled) is retried by the next request.
    key.catch(() => cache.delete(cacheKey));
  }
  return key;
}

async function loadKey(config: Config, secrets: SecretReader | undefined): Promise<Uint8Array> {
  const { auth } = config;
  if (auth.jwtSecret) return toKey(auth.jwtSecret, 'PW_JWT_SECRET');
  if (auth.jwtSecretArn) {
    if (!secrets) throw new ConfigError('PW_JWT_SECRET_ARN is set but this runtime has no secret reader.');
    return toKey(
      await secrets.readSecretString(auth.jwtSecretArn, config.region),
      'the PW_JWT_SECRET_ARN secret',
    );
  }
  if (config.runtime !== 'local') {
    throw new ConfigError('Configuration "auth" is missing a signing key: set PW_JWT_SECRET_ARN.');
  }
  return localKey(path.resolve(config.local.dataDir, LOCAL_KEY_FILE));
}

function toKey(secret: string, what: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < MIN_KEY_BYTES) throw new ConfigError(`${what} must be at least ${MIN_KEY_BYTES} bytes.`);
  return bytes;
}

async function localKey(file: string): Promise<Uint8Array> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // `wx`: two processes starting at once keep whichever key was written first.
    await writeFile(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return toKey((await readFile(file, 'utf8')).trim(), file);
}
