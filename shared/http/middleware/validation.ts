import * as z from 'zod';
import { ValidationError, type ProblemIssue } from '../../kernel/app-error';
import { describeIssues, zodIssues } from '../problem';
import { headersOf, stateOf, type HttpMiddleware } from './http-state';

const strictCache = new WeakMap<z.ZodType, z.ZodType>();

/**
 * Unknown fields are errors, not silently dropped: a client sending `role` to a route that does
 * not take it learns so. Applied to the top-level object of each schema; nested objects in route
 * schemas are written with `z.strictObject`.
 */
export function strictSchema(schema: z.ZodType): z.ZodType {
  if (!(schema instanceof z.ZodObject)) return schema;
  let strict = strictCache.get(schema);
  if (!strict) {
    strict = schema.strict();
    strictCache.set(schema, strict);
  }
  return strict;
}

/**
 * Validates path parameters, query and body against the route's zod schemas (which also coerce
 * query strings) and reports every issue at once, named `params.x`, `query.x` or `body.x`.
 * Without a query schema the query is ignored; without a body schema so is the body.
 */
export function validation(): HttpMiddleware {
  return {
    before: async (request) => {
      const state = stateOf(request.event);
      const route = state.route;
      if (!route) return;
      const schemas = route.request ?? {};
      const issues: ProblemIssue[] = [];

      const check = async (
        part: 'params' | 'query' | 'body',
        schema: z.ZodType | undefined,
        value: unknown,
      ) => {
        if (!schema) return part === 'params' ? value : part === 'query' ? {} : undefined;
        const result = await strictSchema(schema).safeParseAsync(value);
        if (result.success) return result.data;
        issues.push(...zodIssues(result.error, part));
        return undefined;
      };

      const params = await check('params', schemas.params, state.params);
      const query = await check('query', schemas.query, request.event.queryStringParameters ?? {});
      const body = route.rawBody ? undefined : await check('body', schemas.body, state.body);
      if (issues.length > 0) {
        throw new ValidationError(describeIssues(issues), { issues });
      }
      state.input = { params, query, body };
      // Handlers read headers lower-cased and without undefined values.
      request.event.headers = headersOf(request.event);
    },
  };
}
