import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from '../../infra/local/local-platform';
import { callApi, type ApiAnswer } from './api-client';
import { registerUser, type RegisteredUser } from './auth';

/**
 * The local platform of one end-to-end test file, as `npm start` runs it: started in a temp data
 * directory before the file's tests with `users` accounts signed up, stopped and removed after.
 *
 *   const suite = e2eSuite('batch-predict', 2);
 *   it('…', async () => { await suite.api('GET', '/jobs'); await suite.api('GET', '/jobs', undefined, suite.user(1)); });
 */
export interface E2eSuite {
  readonly platform: LocalPlatform;
  /** The platform's data directory (`runtime.json`, the local webhook secret). */
  readonly dataDir: string;
  /** The i-th account signed up (0: the one `api` calls as by default). */
  user(index: number): RegisteredUser;
  /** One JSON call to the API as `as` (default the first user). */
  api(method: string, pathname: string, body?: unknown, as?: RegisteredUser): Promise<ApiAnswer>;
}

export function e2eSuite(name: string, users = 1): E2eSuite {
  let platform: LocalPlatform | undefined;
  let dataDir: string | undefined;
  const accounts: RegisteredUser[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), `pw-${name}-e2e-`));
    platform = await startLocalPlatform({ dataDir, port: 0 });
    for (let i = 0; i < users; i += 1) accounts.push(await registerUser(platform.url));
  });
  afterAll(async () => {
    await platform?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const suite: E2eSuite = {
    get platform() {
      if (!platform) throw new Error('the platform starts in beforeAll');
      return platform;
    },
    get dataDir() {
      if (!dataDir) throw new Error('the platform starts in beforeAll');
      return dataDir;
    },
    user(index) {
      const account = accounts[index];
      if (!account) throw new Error(`no user ${index}: the suite signs up ${users}`);
      return account;
    },
    api: (method, pathname, body, as) =>
      callApi(suite.platform.url, (as ?? suite.user(0)).authHeader, method, pathname, body),
  };
  return suite;
}
