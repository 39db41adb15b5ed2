import * as z from 'zod';
import { ValidationError } from '../../../shared/kernel/app-error';
import { idempotencyKeyOf } from '../../../shared/kernel/idempotency-key';
import {
  adminUserPatchSchema,
  endUserSessions,
  updateUserAsAdmin,
  createCreditPackage,
  creditGrantSchema,
  creditPackageInputSchema,
  creditPackagePatchSchema,
  creditPackageViewSchema,
  getUserAsAdmin,
  grantCredits,
  listCreditPackages,
  listUsers,
  retireCreditPackage,
  updateCreditPackage,
} from '../../../shared/domain/identity/admin';
import { signedIn } from '../../../shared/kernel/request-context';
import { userViewSchema } from '../../../shared/domain/identity/user-view';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { queryParam } from '../../../shared/http/query-params';

const userParams = z.object({ userId: z.uuid() });
const packageParams = z.object({ packageId: z.uuid() });

export const adminRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/admin/users',
    group: 'admin',
    operationId: 'adminListUsers',
    summary: 'List users (administrators)',
    tags: ['admin'],
    auth: 'admin',
    request: {
      query: z.object({
        email: z.string().min(1).max(254).optional().meta({ description: 'Part of the email' }),
        role: z.enum(['user', 'admin']).optional(),
        includeDeleted: queryParam.boolean().optional(),
        cursor: z.string().max(500).optional(),
        limit: queryParam.int({ min: 1, max: 200 }).optional(),
      }),
    },
    responses: {
      200: {
        description: 'Newest first',
        schema: z.object({ items: z.array(userViewSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handle(request, services) {
      const q = request.query;
      const page = await listUsers(services, signedIn(request).caller, {
        email: q.email,
        role: q.role,
        includeDeleted: q.includeDeleted ?? false,
        cursor: q.cursor,
        limit: q.limit ?? 50,
      });
      return { status: 200, body: page };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/users/{userId}',
    group: 'admin',
    operationId: 'adminGetUser',
    summary: 'One user (administrators)',
    tags: ['admin'],
    auth: 'admin',
    request: { params: userParams },
    responses: { 200: { description: 'The user', schema: userViewSchema } },
    async handle(request, services) {
      return {
        status: 200,
        body: await getUserAsAdmin(services, signedIn(request).caller, request.params.userId),
      };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/users/{userId}',
    group: 'admin',
    operationId: 'adminUpdateUser',
    summary: 'Change a user’s role or deactivate the account (administrators)',
    description:
      'Takes effect on the user’s next request: a token issued for the old role answers 403 `AUTH.ROLE_CHANGED` (refreshing gives one for the new role); a deactivated account answers 403 `AUTH.ACCOUNT_INACTIVE` and its sessions end. Your own account is a 409.',
    tags: ['admin'],
    auth: 'admin',
    request: { params: userParams, body: adminUserPatchSchema },
    responses: {
      200: { description: 'The user', schema: userViewSchema },
      404: { description: 'No such user (or deleted)' },
      409: { description: 'Your own account' },
    },
    async handle(request, services) {
      return {
        status: 200,
        body: await updateUserAsAdmin(services, signedIn(request), request.params.userId, request.body),
      };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/users/{userId}/sessions',
    group: 'admin',
    operationId: 'adminEndUserSessions',
    summary: 'Sign a user out everywhere (administrators)',
    description:
      'Every sign-in of the user ends: refresh tokens stop at once and access tokens answer 401 `AUTH.SESSION_REVOKED` on their next request. API keys are not touched.',
    tags: ['admin'],
    auth: 'admin',
    request: { params: userParams },
    responses: { 204: { description: 'Signed out' }, 404: { description: 'No such user (or deleted)' } },
    async handle(request, services) {
      await endUserSessions(services, signedIn(request), request.params.userId);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/users/{userId}/credits',
    group: 'admin',
    operationId: 'adminGrantCredits',
    summary: 'Grant credits to a user (administrators)',
    description:
      'Requires an `Idempotency-Key` header: retrying with the same key returns the first grant (201, header `idempotent-replayed: true`) instead of granting again.',
    tags: ['admin'],
    auth: 'admin',
    // The ledger row carries the key (unique), written in the grant's own transaction.
    idempotency: {
      mode: 'own',
      required: true,
      description:
        'A retry with the same key and the same grant answers the first grant (201, header `idempotent-replayed: true`) instead of granting again.',
    },
    request: {
      params: userParams,
      body: z.object({
        amount: z.number().int().positive().max(100_000_000),
        reason: z.string().trim().min(1).max(500),
      }),
    },
    responses: {
      201: {
        description:
          'Granted (or, with header `idempotent-replayed: true`, the grant this Idempotency-Key made)',
        schema: creditGrantSchema,
      },
    },
    async handle(request, services) {
      const idempotencyKey = idempotencyKeyOf(request.headers);
      if (idempotencyKey === undefined) {
        throw new ValidationError('Send an Idempotency-Key header with each grant.', {
          code: 'REQUEST.INVALID_IDEMPOTENCY_KEY',
          field: 'headers.idempotency-key',
        });
      }
      const { grant, replayed } = await grantCredits(services, signedIn(request), {
        userId: request.params.userId,
        amount: request.body.amount,
        reason: request.body.reason,
        idempotencyKey,
      });
      return { status: 201, replayed, body: grant };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/credit-packages',
    group: 'admin',
    operationId: 'adminListCreditPackages',
    summary: 'Every credit package, retired ones included (administrators)',
    tags: ['admin'],
    auth: 'admin',
    responses: {
      200: { description: 'Packages', schema: z.object({ items: z.array(creditPackageViewSchema) }) },
    },
    async handle(request, services) {
      return { status: 200, body: { items: await listCreditPackages(services, signedIn(request).caller) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/credit-packages',
    group: 'admin',
    operationId: 'adminCreateCreditPackage',
    summary: 'Create a credit package (administrators)',
    tags: ['admin'],
    auth: 'admin',
    idempotency: { mode: 'stored' },
    request: { body: creditPackageInputSchema },
    responses: { 201: { description: 'Created', schema: creditPackageViewSchema } },
    async handle(request, services) {
      return { status: 201, body: await createCreditPackage(services, signedIn(request), request.body) };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/credit-packages/{packageId}',
    group: 'admin',
    operationId: 'adminUpdateCreditPackage',
    summary: 'Change a credit package (administrators)',
    tags: ['admin'],
    auth: 'admin',
    request: { params: packageParams, body: creditPackagePatchSchema },
    responses: { 200: { description: 'Updated', schema: creditPackageViewSchema } },
    async handle(request, services) {
      return {
        status: 200,
        body: await updateCreditPackage(services, signedIn(request), request.params.packageId, request.body),
      };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/admin/credit-packages/{packageId}',
    group: 'admin',
    operationId: 'adminRetireCreditPackage',
    summary: 'Retire a credit package (administrators)',
    description: 'The package is deactivated, not deleted: past purchases refer to it.',
    tags: ['admin'],
    auth: 'admin',
    request: { params: packageParams },
    responses: { 204: { description: 'Retired' } },
    async handle(request, services) {
      await retireCreditPackage(services, signedIn(request), request.params.packageId);
      return { status: 204 };
    },
  }),
];
