import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiGroupList, apiGroups, apiHandlerFactories, apiRoutes } from '../../../../functions/api/routes';
import { createRouteTable } from '../../../../shared/http/route-table';
import { apiEvent, httpTestServices, lambdaContext } from '../../support/http-test-services';

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

describe('GET /openapi.json servers', () => {
  async function serverOf(options: Parameters<typeof httpTestServices>[0], headers: Record<string, string>) {
    const { services } = httpTestServices(options);
    const system = apiGroupList.find((g) => g.name === 'system');
    if (!system) throw new Error('no system group');
    const handler = (await system.factory())(() => services);
    const res = await handler(apiEvent({ method: 'GET', path: '/openapi.json', headers }), lambdaContext());
    expect(res.statusCode).toBe(200);
    return (JSON.parse(res.body ?? '{}') as { servers?: { url: string }[] }).servers;
  }
  const forged = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' };

  it.each(['local', 'aws'] as const)(
    'names PW_PUBLIC_URL, whatever the client forwards (%s)',
    async (runtime) => {
      expect(await serverOf({ publicUrl: 'https://api.pipeweave.example', runtime }, forged)).toEqual([
        { url: 'https://api.pipeweave.example' },
      ]);
    },
  );

  it('on AWS without PW_PUBLIC_URL names API Gateway’s domain, not the client’s X-Forwarded-Host', async () => {
    expect(await serverOf({ runtime: 'aws' }, forged)).toEqual([
      { url: 'https://abc123.execute-api.eu-west-1.amazonaws.com' },
    ]);
  });

  it('locally without PW_PUBLIC_URL follows the forwarding headers of the proxy in front', async () => {
    expect(await serverOf({ runtime: 'local' }, forged)).toEqual([{ url: 'http://evil.example' }]);
  });
});
