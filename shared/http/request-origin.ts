const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * `scheme://host[:port]` as the client addressed this API: the forwarding headers a proxy or
 * API Gateway adds first, then `Host`, then API Gateway's domain name. Values that are not a
 * plain host are ignored rather than echoed into documents.
 */
export function requestOrigin(event: {
  headers?: Record<string, string | undefined>;
  requestContext?: { domainName?: string };
}): string | undefined {
  const headers = event.headers ?? {};
  const first = (value: string | undefined) => value?.split(',')[0]?.trim() || undefined;
  const host = [
    first(headers['x-forwarded-host']),
    first(headers['host']),
    event.requestContext?.domainName,
  ].find((h): h is string => h !== undefined && HOST.test(h));
  if (!host) return undefined;
  const proto = first(headers['x-forwarded-proto'])?.toLowerCase();
  const scheme = proto === 'http' || proto === 'https' ? proto : 'https';
  return `${scheme}://${host}`;
}
