import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfigWith } from '../../../../shared/config/config';

/** A composition root's variables sit on top of the process environment, its defaults beneath it. */
describe('loadConfigWith', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('keeps the process environment, lets extra variables win and defaults give way', () => {
    vi.stubEnv('PW_RUNTIME', 'local');
    vi.stubEnv('PW_LOG_LEVEL', 'ERROR');
    vi.stubEnv('PW_PUBLIC_URL', 'https://from-the-process.example');
    const config = loadConfigWith({
      defaults: { PW_LOG_LEVEL: 'WARN', PW_CORS_ORIGINS: 'https://default.example' },
      extra: { PW_PUBLIC_URL: 'https://extra.example' },
    });
    expect(config.logLevel).toBe('ERROR');
    expect(config.http.publicUrl).toBe('https://extra.example');
    expect(config.http.corsOrigins).toEqual(['https://default.example']);
  });
});
