import * as z from 'zod';
import { API_KEY_SCOPES } from '../../../shared/domain/identity/api-key-secret';
import {
  apiKeyViewSchema,
  createApiKey,
  createdApiKeySchema,
  getApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../../shared/domain/identity/api-keys';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';
import { signedIn } from '../../../shared/kernel/request-context';

const keyParams = z.object({ keyId: z.uuid() });

function withoutSecret(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { key: _secret, ...view } = body as Record<string, unknown>;
  return {
    ...view,
    note: 'This key was created by an earlier request with the same Idempotency-Key; its secret was shown only then. Revoke it and create another if the secret was lost.',
  };
}

export const apiKeyRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/api-keys',
    group: 'api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key (the secret is shown once)',
    description:
      'Send it as `x-api-key`. Scopes nest: `read` allows GET, `write` every method, `admin` (administrators only) the admin routes.',
    tags: ['api-keys'],
    auth: 'user',
    idempotency: {
      mode: 'stored',
      // The secret is shown once: a replay answers the key without it, saying why.
      storedBody: withoutSecret,
      description:
        'A retry with the same key and the same request within 24 hours answers the same key (201, header `idempotent-replayed: true`) WITHOUT its secret, which is shown only once: `key` is absent and `note` says so. If the first answer was lost, revoke that key and create another.',
    },
    request: {
      body: z.object({
        name: z.string().trim().min(1).max(200),
        scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(3),
        expiresAt: z.iso.datetime({ offset: true }).optional(),
      }),
    },
    responses: {
      201: {
        description:
          'The key, with its secret (a replay of the same Idempotency-Key: without it, with a note)',
        schema: createdApiKeySchema,
      },
    },
    async handle(request, services) {
      const { name, scopes, expiresAt } = request.body;
      const created = await createApiKey(services, signedIn(request), {
        name,
        scopes,
        expiresAt: expiresAt ? new Date(expiresAt) : undefined,
      });
      return { status: 201, headers: { 'cache-control': 'no-store' }, body: created };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api-keys',
    group: 'api-keys',
    operationId: 'listApiKeys',
    summary: 'Your API keys (without secrets)',
    tags: ['api-keys'],
    auth: 'user',
    request: { query: z.object({ includeRevoked: queryParam.boolean().optional() }) },
    responses: {
      200: { description: 'Newest first', schema: z.object({ items: z.array(apiKeyViewSchema) }) },
    },
    async handle(request, services) {
      const items = await listApiKeys(services, signedIn(request).caller, {
        includeRevoked: request.query.includeRevoked ?? false,
      });
      return { status: 200, body: { items } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api-keys/{keyId}',
    group: 'api-keys',
    operationId: 'getApiKey',
    summary: 'One of your API keys',
    tags: ['api-keys'],
    auth: 'user',
    request: { params: keyParams },
    responses: { 200: { description: 'The key (without its secret)', schema: apiKeyViewSchema } },
    async handle(request, services) {
      return { status: 200, body: await getApiKey(services, signedIn(request).caller, request.params.keyId) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api-keys/{keyId}',
    group: 'api-keys',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (effective immediately)',
    tags: ['api-keys'],
    auth: 'user',
    request: { params: keyParams },
    responses: { 204: { description: 'Revoked' } },
    async handle(request, services) {
      await revokeApiKey(services, signedIn(request), request.params.keyId);
      return { status: 204 };
    },
  }),
];
