/**
 * Who acts, and from where: the one description of an actor that every layer shares. The HTTP
 * stack builds it from a request (`ApiRequest` extends it), schedules and workers act as the
 * system without one, and use cases take it as their second argument:
 *
 *   useCase(deps, context, input)
 *
 * `deps` is `Services` or the part of it the use case needs, `context` a `RequestContext` (or a
 * `SignedInContext` on signed-in routes) and `input` what the caller asked for.
 */
export interface Caller {
  userId: string;
  role: 'user' | 'admin';
  /** How the caller authenticated. */
  via: 'jwt' | 'api-key';
  scopes: string[];
}

export interface RequestContext {
  /** Absent on routes that need no sign-in (register, login). */
  caller: Caller | undefined;
  requestId: string;
  sourceIp: string;
  userAgent: string;
}

/** The context of a signed-in route: the route stack guarantees the caller. */
export type SignedInContext = RequestContext & { caller: Caller };

/** Narrows a context on a signed-in route (`auth: 'user' | 'admin'`), where the stack set the caller. */
export function signedIn<T extends Pick<RequestContext, 'caller'>>(context: T): T & { caller: Caller } {
  if (!context.caller) throw new Error('A signed-in route ran without a caller.');
  return context as T & { caller: Caller };
}
