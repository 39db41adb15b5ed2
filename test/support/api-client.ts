/** One JSON call to the API as a signed-in client: status, content type and the parsed body. */
export interface ApiAnswer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

export async function callApi(
  baseUrl: string,
  authHeader: Record<string, string>,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const res = await fetch(`${baseUrl}${pathname}`, {
    method,
    headers: { ...authHeader, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
