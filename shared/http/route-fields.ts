import * as z from 'zod';
import { ownerScope } from '../db/owner-filter';
import type { TenantScope } from '../db/tenant';
import { signedIn, type RequestContext } from '../kernel/request-context';
import { queryParam } from './query-params';

/** Fields and helpers that many route specs share, defined once. */

/** A UUID in a path, query or body, compared lower-cased. */
export const uuidField = () => z.uuid().transform((value) => value.toLowerCase());

/** `?cursor=&limit=` of a keyset-paged list (`nextCursor` of the previous page back as `cursor`). */
export const pageQueryFields = (maxLimit: number) => ({
  cursor: z.string().max(500).optional(),
  limit: queryParam.int({ min: 1, max: maxLimit }).optional(),
});

/** The tenant scope of a user route: the signed-in caller's own rows, admins included. */
export function callerOwnScope(request: Pick<RequestContext, 'caller'>): TenantScope {
  return ownerScope(signedIn(request).caller);
}
