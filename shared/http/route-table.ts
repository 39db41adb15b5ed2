import { compilePathTemplate, type PathTemplate } from './path-template';
import { routeKey, type HttpMethod, type RouteSpec } from './route';

export type RouteLookup =
  | { kind: 'found'; route: RouteSpec; params: Record<string, string> }
  /** The path exists but not for this method: `allow` lists the methods it has. */
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  | { kind: 'not-found' };

export interface RouteTable {
  readonly routes: readonly RouteSpec[];
  /** By API Gateway route key (`GET /datasets/{datasetId}`). */
  byKey(key: string): RouteSpec | undefined;
  /** By method and raw (still percent-encoded) path, as the local server and `$default` need. */
  lookup(method: string, rawPath: string): RouteLookup;
  /** Methods served on a path (for `Allow` and CORS preflight); empty when the path is unknown. */
  methodsFor(rawPath: string): HttpMethod[];
  /** Path parameters of `route` taken from `rawPath` (URL-decoded). */
  paramsFor(route: RouteSpec, rawPath: string): Record<string, string> | undefined;
}

export class RouteTableError extends Error {
  override name = 'RouteTableError';
}

/**
 * Indexes route specs once. Static segments win over parameters (`/jobs/stats` before
 * `/jobs/{jobId}`), as in API Gateway, so the order of the list does not matter.
 */
export function createRouteTable(routes: readonly RouteSpec[]): RouteTable {
  const keys = new Map<string, RouteSpec>();
  const operationIds = new Set<string>();
  const compiled: { route: RouteSpec; template: PathTemplate; specificity: number[] }[] = [];

  for (const route of routes) {
    const key = routeKey(route);
    if (keys.has(key)) throw new RouteTableError(`Route ${key} is defined twice.`);
    if (operationIds.has(route.operationId)) {
      throw new RouteTableError(`operationId "${route.operationId}" is used twice.`);
    }
    keys.set(key, route);
    operationIds.add(route.operationId);
    compiled.push({
      route,
      template: compilePathTemplate(route.path),
      specificity: specificityOf(route.path),
    });
  }
  compiled.sort((a, b) => compareSpecificity(a.specificity, b.specificity));
  const templates = new Map(compiled.map((c) => [c.route, c.template]));

  function matchesFor(rawPath: string) {
    const out: { route: RouteSpec; params: Record<string, string>; specificity: number[] }[] = [];
    for (const c of compiled) {
      const params = c.template.match(rawPath);
      if (params) out.push({ route: c.route, params, specificity: c.specificity });
    }
    return out;
  }

  return {
    routes,
    byKey: (key) => keys.get(key),
    lookup(method, rawPath) {
      const matches = matchesFor(rawPath);
      if (matches.length === 0) return { kind: 'not-found' };
      // HEAD is served wherever GET is (the response goes out without its body).
      const upper = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
      const hit = matches.find((m) => m.route.method === upper);
      if (hit) return { kind: 'found', route: hit.route, params: hit.params };
      return { kind: 'method-not-allowed', allow: uniqueMethods(matches.map((m) => m.route.method)) };
    },
    methodsFor: (rawPath) => uniqueMethods(matchesFor(rawPath).map((m) => m.route.method)),
    paramsFor: (route, rawPath) => templates.get(route)?.match(rawPath),
  };
}

/** Per segment: 0 for a literal, 1 for a parameter, 2 for a greedy parameter (lower wins). */
function specificityOf(path: string): number[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.endsWith('+}') ? 2 : segment.startsWith('{') ? 1 : 0));
}

function compareSpecificity(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

const methodOrder: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

function uniqueMethods(methods: HttpMethod[]): HttpMethod[] {
  return methodOrder.filter((m) => methods.includes(m));
}
