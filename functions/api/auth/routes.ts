import * as z from 'zod';
import { emailSchema } from '../../../shared/domain/identity/email';
import {
  changePassword,
  deleteAccount,
  getProfile,
  updateProfile,
} from '../../../shared/domain/identity/account';
import { PASSWORD_MAX_LENGTH } from '../../../shared/domain/identity/passwords';
import {
  login,
  logout,
  refreshSession,
  registerUser,
  restoreAccount,
} from '../../../shared/domain/identity/sessions';
import { userViewSchema } from '../../../shared/domain/identity/user-view';
import { signedIn } from '../../../shared/kernel/request-context';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';

const password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
/** Sign-in accepts any string: telling "not an email" apart would not reveal much, but is not needed. */
const signInEmail = z.string().min(1).max(254);

const sessionSchema = z
  .object({
    user: userViewSchema,
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    refreshToken: z.string().meta({ description: 'Single use: each refresh returns the next one' }),
    refreshTokenExpiresAt: z.string(),
  })
  .meta({ id: 'Session' });

const signInBody = z.object({ email: signInEmail, password });
const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) });

const noStore = { 'cache-control': 'no-store' };

export const authRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/auth/register',
    group: 'auth',
    operationId: 'register',
    summary: 'Create an account and sign in',
    description:
      'Passwords need at least 12 characters with letters and a digit, space or symbol; a refused password names the rule (`details.rule`). An email already registered answers 409.',
    tags: ['auth'],
    auth: 'none',
    request: {
      body: z.object({ email: emailSchema, password, fullName: z.string().trim().max(200).optional() }),
    },
    responses: { 201: { description: 'Account created; the session tokens', schema: sessionSchema } },
    async handle(request, services) {
      const session = await registerUser(services, request, request.body);
      return { status: 201, headers: noStore, body: session };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/login',
    group: 'auth',
    operationId: 'login',
    summary: 'Sign in with email and password',
    description:
      'Every failure answers the same 401, whether the email exists or not. Repeated failures lock the account for a growing while (30 s after the fifth, doubling, at most an hour).',
    tags: ['auth'],
    auth: 'none',
    request: { body: signInBody },
    responses: { 200: { description: 'Signed in', schema: sessionSchema } },
    async handle(request, services) {
      return {
        status: 200,
        headers: noStore,
        body: await login(services, request, request.body),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/refresh',
    group: 'auth',
    operationId: 'refreshSession',
    summary: 'Trade a refresh token for new tokens',
    description:
      'Refresh tokens are single use. Presenting a used one again signs out its whole session (every token descended from the same sign-in).',
    tags: ['auth'],
    auth: 'none',
    request: { body: refreshBody },
    responses: { 200: { description: 'New access and refresh tokens', schema: sessionSchema } },
    async handle(request, services) {
      return {
        status: 200,
        headers: noStore,
        body: await refreshSession(services, request, request.body),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/logout',
    group: 'auth',
    operationId: 'logout',
    summary: 'Sign out the session a refresh token belongs to',
    tags: ['auth'],
    auth: 'none',
    request: { body: refreshBody },
    responses: { 204: { description: 'Signed out (also when the token was already spent)' } },
    async handle(request, services) {
      await logout(services, request, request.body);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/restore',
    group: 'auth',
    operationId: 'restoreAccount',
    summary: 'Restore a deleted account (within 30 days) and sign in',
    description:
      'Accounts deleted with DELETE /me can be restored with their email and password for 30 days.',
    tags: ['auth'],
    auth: 'none',
    request: { body: signInBody },
    responses: { 200: { description: 'Restored and signed in', schema: sessionSchema } },
    async handle(request, services) {
      return {
        status: 200,
        headers: noStore,
        body: await restoreAccount(services, request, request.body),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/me',
    group: 'auth',
    operationId: 'getMe',
    summary: 'Your account',
    tags: ['account'],
    auth: 'user',
    responses: { 200: { description: 'The signed-in user', schema: userViewSchema } },
    async handle(request, services) {
      return { status: 200, body: await getProfile(services, signedIn(request).caller) };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/me',
    group: 'auth',
    operationId: 'updateMe',
    summary: 'Change your name or email',
    description: 'Role, tier, credits and counters are not writable: sending them is a 400 naming the field.',
    tags: ['account'],
    auth: 'user',
    request: {
      body: z.object({ fullName: z.string().trim().max(200).optional(), email: emailSchema.optional() }),
    },
    responses: { 200: { description: 'The updated user', schema: userViewSchema } },
    async handle(request, services) {
      return { status: 200, body: await updateProfile(services, signedIn(request), request.body) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/me/password',
    group: 'auth',
    operationId: 'changePassword',
    summary: 'Change your password',
    description: 'Signs out every session and returns tokens for a new one.',
    tags: ['account'],
    auth: 'user',
    request: { body: z.object({ currentPassword: password, newPassword: password }) },
    responses: { 200: { description: 'Password changed; a new session', schema: sessionSchema } },
    async handle(request, services) {
      return {
        status: 200,
        headers: noStore,
        body: await changePassword(services, signedIn(request), request.body),
      };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/me',
    group: 'auth',
    operationId: 'deleteMe',
    summary: 'Delete your account (restorable for 30 days)',
    description:
      'Signs out everywhere and revokes API keys at once. POST /auth/restore brings the account back within 30 days; after that its data and files are deleted for good.',
    tags: ['account'],
    auth: 'user',
    request: { body: z.object({ password }) },
    responses: {
      200: {
        description: 'Deleted',
        schema: z
          .object({ deletedAt: z.string(), restorableUntil: z.string() })
          .meta({ id: 'AccountDeletion' }),
      },
    },
    async handle(request, services) {
      return { status: 200, body: await deleteAccount(services, signedIn(request), request.body) };
    },
  }),
];
