import httpSecurityHeaders from '@middy/http-security-headers';
import type { HttpMiddleware, HttpRequest } from './http-state';

/**
 * The CSP for everything that does not bring its own: JSON loads nothing and may not be framed.
 * An HTML route (the docs page) sets its own, narrower-than-the-web but script-enabled, policy.
 */
export const DEFAULT_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Powerful browser features no PipeWeave page uses (features current browsers recognise). */
export const PERMISSIONS_POLICY = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'hid',
  'idle-detection',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'picture-in-picture',
  'publickey-credentials-get',
  'screen-wake-lock',
  'serial',
  'usb',
  'xr-spatial-tracking',
]
  .map((feature) => `${feature}=()`)
  .join(', ');

/** HSTS: two years, subdomains included, not submitted for preloading. */
export const STRICT_TRANSPORT_SECURITY = { maxAgeSeconds: 63_072_000, includeSubDomains: true } as const;

/**
 * The headers every response carries besides its CSP, by the names middy writes them under. The
 * handlers set them here and the CDN in front of the AWS API adds them to the gateway's own answers
 * (413, 429, 5xx), so both read this one list.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': `max-age=${STRICT_TRANSPORT_SECURITY.maxAgeSeconds}; includeSubDomains`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Origin-Agent-Cluster': '?1',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'Permissions-Policy': PERMISSIONS_POLICY,
};

/**
 * SECURITY_HEADERS on every response (HSTS, nosniff, referrer policy and friends), middy's
 * HTML-only ones on HTML, plus a CSP on every response. middy only writes a CSP for HTML and would
 * overwrite a route's own, so its CSP is off and set here instead. Its Permissions-Policy lists
 * features browsers no longer know (each logs a console error), so that one is ours too.
 */
export function securityHeaders(): HttpMiddleware {
  const middy = httpSecurityHeaders({
    contentSecurityPolicy: false,
    xssProtection: false, // the legacy XSS auditor is gone from browsers; CSP replaces it
    reportTo: false,
    permissionsPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: {
      maxAge: STRICT_TRANSPORT_SECURITY.maxAgeSeconds,
      includeSubDomains: STRICT_TRANSPORT_SECURITY.includeSubDomains,
      preload: false,
    },
  });
  const apply = async (request: HttpRequest, step: 'after' | 'onError') => {
    const response = request.response;
    if (!response) return;
    await middy[step]?.(request);
    const headers = (response.headers ??= {});
    const hasCsp = Object.keys(headers).some((name) => name.toLowerCase() === 'content-security-policy');
    if (!hasCsp) headers['content-security-policy'] = DEFAULT_CONTENT_SECURITY_POLICY;
    Object.assign(headers, SECURITY_HEADERS);
  };
  return {
    after: (request) => apply(request, 'after'),
    onError: (request) => apply(request, 'onError'),
  };
}

/**
 * The headers `securityHeaders()` puts on a JSON response, lower-cased: for answers written
 * without the handler stack (the local gateway's own 404, 405, 413 and 502), so every response
 * carries the same set.
 */
export async function securityHeaderValues(): Promise<Record<string, string>> {
  const request = {
    event: {},
    context: {},
    response: { statusCode: 404, headers: { 'content-type': 'application/problem+json' } },
    error: undefined,
    internal: {},
  } as unknown as HttpRequest;
  await securityHeaders().after?.(request);
  const out: Record<string, string> = {};
  const headers = (request.response?.headers ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null || value === '' || name.toLowerCase() === 'content-type')
      continue;
    out[name.toLowerCase()] = String(value);
  }
  return out;
}
