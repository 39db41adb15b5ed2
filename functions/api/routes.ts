import type { RouteSpec } from '../../shared/http/route';

/** Every API operation, in one list: CDK, the local server and the OpenAPI document read it. */
export const apiRoutes: RouteSpec[] = [];
