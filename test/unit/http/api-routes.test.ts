import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiGroupList, apiGroups, apiHandlerFactories, apiRoutes } from '../../../functions/api/routes';
import { createRouteTable } from '../../../shared/http/route-table';
import { apiEvent, httpTestServices, lambdaContext } from './http-test-services';

describe('the API route list', () => {
  it('gives every route a group with an entry file and a handler factory', () => {
    for (const route of apiRoutes) {
      const entry = apiGroups[route.group];
      expect(entry, `${route.method} ${route.path}`).toBeDefined();
      expect(existsSync(entry ?? ''), entry).toBe(true);
      expect(apiHandlerFactories[route.group]).toBeTypeOf('function');
    }
    expect(apiGroupList.every((g) => g.routes.every((r) => r.group === g.name))).toBe(true);
  });

  it('has no duplicate route keys or operationIds', () => {
    expect(() => createRouteTable(apiRoutes)).not.toThrow();
  });

  it('loads each group’s factory, whose handler serves exactly that group’s routes', async () => {
    const { services } = httpTestServices();
    for (const group of apiGroupList) {
      const handler = (await group.factory())(() => services);
      const other = apiRoutes.find((r) => r.group !== group.name);
      for (const route of group.routes) {
        const res = await handler(
          apiEvent({ method: 'OPTIONS', path: route.path.replace(/\{[^}]+\}/g, 'x'), routeKey: '$default' }),
          lambdaContext(),
        );
        expect(res.statusCode, `${group.name}: ${route.path}`).toBe(204);
      }
      if (other) {
        const res = await handler(
          apiEvent({ method: other.method, path: other.path, routeKey: `${other.method} ${other.path}` }),
          lambdaContext(),
        );
        expect(res.statusCode).toBe(404);
      }
    }
  });
});
