import type { ApiRequest, Caller } from '../../http/route';

/** The route stack guarantees a caller on `auth: 'user' | 'admin'` routes; this narrows the type. */
export function callerOf<T extends Pick<ApiRequest, 'caller'>>(request: T): T & { caller: Caller } {
  if (!request.caller) throw new Error('A signed-in route ran without a caller.');
  return request as T & { caller: Caller };
}
