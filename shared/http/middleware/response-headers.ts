import type { HttpMiddleware, HttpRequest } from './http-state';

/**
 * The last step on the way out: response header names lower-cased (middy's CORS and security
 * middlewares write canonical case, the handler lower case; a client must not see both), and
 * empty or undefined values dropped (the security middleware blanks `Server`/`X-Powered-By`).
 * The answer to a HEAD request is the GET's without its body.
 */
export function responseHeaders(): HttpMiddleware {
  const tidy = (request: HttpRequest) => {
    const response = request.response;
    if (response && request.event.requestContext?.http?.method?.toUpperCase() === 'HEAD') {
      delete response.body;
      response.isBase64Encoded = false;
    }
    if (!response?.headers) return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || value === null || value === '') continue;
      headers[name.toLowerCase()] = String(value);
    }
    response.headers = headers;
  };
  return { after: tidy, onError: tidy };
}
