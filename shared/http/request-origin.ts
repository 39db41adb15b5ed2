const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * `scheme://host[:port]` as the client addressed this API. Values that are not a plain host are
 * ignored rather than echoed into documents.
 *
 * `trustForwarded` (the local runtime, whose own server or a proxy in front of it sets them): the
 * forwarding headers first, then `Host`, then API Gateway's domain name. Otherwise (AWS) the
 * `X-Forwarded-*` headers are whatever the client sent, so API Gateway's domain name comes first,
 * then `Host`, always https.
 */
export function requestOrigin(
  event: {
    headers?: Record<string, string | undefined>;
    requestContext?: { domainName?: string };
  },
  options: { trustForwarded: boolean },
): string | undefined {
  const headers = event.headers ?? {};
  const first = (value: string | undefined) => value?.split(',')[0]?.trim() || undefined;
  const candidates = options.trustForwarded
    ? [first(headers['x-forwarded-host']), first(headers['host']), event.requestContext?.domainName]
    : [event.requestContext?.domainName, first(headers['host'])];
  const host = candidates.find((h): h is string => h !== undefined && HOST.test(h));
  if (!host) return undefined;
  const proto = options.trustForwarded ? first(headers['x-forwarded-proto'])?.toLowerCase() : 'https';
  const scheme = proto === 'http' || proto === 'https' ? proto : 'https';
  return `${scheme}://${host}`;
}
