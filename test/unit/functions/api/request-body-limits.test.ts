import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../../functions/api/routes';

/**
 * Every string and array a route's body declares has a limit of its own, so a value over it is a
 * 400 naming the field and the limit (free-form values are held to the request's value limits).
 * A string is bounded by a maximum length, a fixed set of values, a format of bounded length
 * (uuid, date-time, email), or the shape a pattern gives it (an ARN, a media type), whose length
 * the request's value limits bound.
 */
type JsonSchema = Record<string, unknown>;
const BOUNDED_FORMATS = new Set(['uuid', 'date-time', 'date', 'email']);

function unbounded(schema: unknown, path: string, out: string[]): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as JsonSchema;
  if (s['type'] === 'string') {
    const bounded =
      s['maxLength'] !== undefined ||
      s['enum'] !== undefined ||
      s['const'] !== undefined ||
      (typeof s['format'] === 'string' && BOUNDED_FORMATS.has(s['format'])) ||
      typeof s['pattern'] === 'string';
    if (!bounded) out.push(path);
  }
  if (s['type'] === 'array' && s['maxItems'] === undefined) out.push(`${path}[]`);
  for (const [key, value] of Object.entries((s['properties'] as JsonSchema | undefined) ?? {}))
    unbounded(value, `${path}.${key}`, out);
  if (s['items']) unbounded(s['items'], `${path}[]`, out);
  if (s['additionalProperties']) unbounded(s['additionalProperties'], `${path}.*`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(s[key])) for (const option of s[key] as unknown[]) unbounded(option, path, out);
}

describe('request bodies', () => {
  it('declare a limit on every string and array', () => {
    const found: string[] = [];
    for (const route of apiRoutes) {
      const body = route.request?.body;
      if (!body) continue;
      const schema = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' });
      const paths: string[] = [];
      unbounded(schema, 'body', paths);
      for (const path of new Set(paths)) found.push(`${route.method} ${route.path} ${path}`);
    }
    expect(found).toEqual([]);
  });
});
