import { describe, expect, it } from 'vitest';
import { compilePathTemplate } from '../../../../shared/http/path-template';
import type { HttpMethod, RouteSpec } from '../../../../shared/http/route';
import { createRouteTable } from '../../../../shared/http/route-table';

function route(method: HttpMethod, path: string, operationId: string): RouteSpec {
  return {
    method,
    path,
    group: 'g',
    operationId,
    summary: operationId,
    tags: ['t'],
    auth: 'none',
    responses: {},
    handle: async () => ({ status: 200 }),
  };
}

describe('path templates', () => {
  it.each([
    ['/datasets/{datasetId}', '/datasets/abc', { datasetId: 'abc' }],
    ['/datasets/{datasetId}', '/datasets/a%20b%2Fc', { datasetId: 'a b/c' }],
    [
      '/datasets/{datasetId}/versions/{version}',
      '/datasets/d1/versions/3',
      { datasetId: 'd1', version: '3' },
    ],
    ['/files/{key+}', '/files/raw/u1/a.csv', { key: 'raw/u1/a.csv' }],
    ['/health', '/health/', {}],
  ])('%s matches %s', (template, path, params) => {
    expect(compilePathTemplate(template).match(path)).toEqual(params);
  });

  it.each([
    ['/datasets/{datasetId}', '/datasets'],
    ['/datasets/{datasetId}', '/datasets/a/b'],
    ['/datasets/{datasetId}', '/datasets/%E0%A4%A'],
    ['/health', '/healthz'],
  ])('%s does not match %s', (template, path) => {
    expect(compilePathTemplate(template).match(path)).toBeUndefined();
  });

  it('rejects templates API Gateway would reject', () => {
    expect(() => compilePathTemplate('datasets')).toThrow(/start with/);
    expect(() => compilePathTemplate('/a/{x+}/b')).toThrow(/greedy/);
    expect(() => compilePathTemplate('/a/x{y}')).toThrow(/whole segment/);
  });
});

describe('route table', () => {
  const table = createRouteTable([
    route('GET', '/jobs/{jobId}', 'getJob'),
    route('DELETE', '/jobs/{jobId}', 'deleteJob'),
    route('GET', '/jobs/stats', 'jobStats'),
    route('POST', '/jobs', 'createJob'),
  ]);

  it('prefers literal segments over parameters whatever the order', () => {
    const hit = table.lookup('GET', '/jobs/stats');
    expect(hit.kind === 'found' && hit.route.operationId).toBe('jobStats');
    const param = table.lookup('get', '/jobs/j-1');
    expect(param).toMatchObject({ kind: 'found', params: { jobId: 'j-1' } });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(table.lookup('PUT', '/jobs/j-1')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'DELETE'],
    });
    expect(table.lookup('GET', '/nope')).toEqual({ kind: 'not-found' });
    expect(table.methodsFor('/jobs')).toEqual(['POST']);
    expect(table.byKey('DELETE /jobs/{jobId}')?.operationId).toBe('deleteJob');
  });

  it('refuses duplicate route keys', () => {
    expect(() => createRouteTable([route('GET', '/a', 'one'), route('GET', '/a', 'two')])).toThrow(/GET \/a/);
  });
});
