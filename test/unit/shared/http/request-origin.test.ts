import { describe, expect, it } from 'vitest';
import { requestOrigin } from '../../../../shared/http/request-origin';

const context = { domainName: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com' } as const;

describe('requestOrigin', () => {
  it.each([
    [{ host: 'api.example.com', 'x-forwarded-proto': 'https' }, 'https://api.example.com'],
    [{ host: '127.0.0.1:3000', 'x-forwarded-proto': 'http' }, 'http://127.0.0.1:3000'],
    [
      { host: 'internal', 'x-forwarded-host': 'docs.example.com', 'x-forwarded-proto': 'https, http' },
      'https://docs.example.com',
    ],
    [{ host: '[::1]:8080', 'x-forwarded-proto': 'http' }, 'http://[::1]:8080'],
    [{ 'x-forwarded-proto': 'https' }, 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com'],
    [
      { host: 'evil.example/<script>', 'x-forwarded-proto': 'javascript' },
      'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
    ],
  ])('locally: %o → %s', (headers, origin) => {
    expect(requestOrigin({ headers, requestContext: context }, { trustForwarded: true })).toBe(origin);
  });

  it.each([
    [
      { host: 'internal', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
      context.domainName,
    ],
    [{ host: 'api.example.com' }, context.domainName],
  ])('on AWS ignores the client’s forwarding headers: %o → https://%s', (headers, host) => {
    expect(requestOrigin({ headers, requestContext: context }, { trustForwarded: false })).toBe(
      `https://${host}`,
    );
  });

  it('on AWS without a domain name falls back to Host, over https', () => {
    expect(
      requestOrigin(
        { headers: { host: 'api.example.com', 'x-forwarded-host': 'evil.example' } },
        { trustForwarded: false },
      ),
    ).toBe('https://api.example.com');
  });
});
