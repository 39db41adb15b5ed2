import * as z from 'zod';
import { MODALITIES, TUTORIAL_DIFFICULTIES } from '../../../shared/db/schema';
import {
  getTutorial,
  listTutorials,
  startTutorial,
} from '../../../shared/domain/tutorials/tutorial-use-cases';
import {
  toTutorialDetailView,
  toTutorialSummaryView,
  tutorialDetailSchema,
  tutorialSummarySchema,
} from '../../../shared/domain/tutorials/tutorial-view';
import { defineRoute, type ApiRequest, type RouteSpec } from '../../../shared/http/route';
import { signedIn } from '../../../shared/kernel/request-context';
import type { Services } from '../../../shared/ports/services';

/**
 * `tutorials`: guided walk-throughs whose steps complete when the platform sees you do them.
 * Each step has a command to run and a condition checked against your own data whenever you read
 * the tutorial; nothing marks a step done by itself.
 */

const group = 'tutorials';
const tags = ['tutorials'];
const slugParams = z.object({
  slug: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, {
      error: 'slug is lower-case words joined by "-", e.g. your-first-dataset',
    })
    .max(100),
});
const notFound = { description: 'No such tutorial' };

/** The base URL the commands use: the configured public URL, else the one the caller used. */
function baseUrlOf(request: Pick<ApiRequest, 'origin'>, services: Services): string {
  return (services.config.http.publicUrl ?? request.origin ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
}

export const tutorialRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/tutorials',
    group,
    operationId: 'listTutorials',
    summary: 'The tutorials, with your progress through each',
    description:
      'Progress is checked against your own data when you read it: a step is done when what it asks for exists among your resources, or, when it asks you to read something (a profile, a leaderboard, an experiment, a job’s results), once you have read it.',
    tags,
    auth: 'user',
    request: {
      query: z.object({
        modality: z.enum(MODALITIES).optional(),
        difficulty: z.enum(TUTORIAL_DIFFICULTIES).optional(),
      }),
    },
    responses: {
      200: {
        description: 'In the order to follow them',
        schema: z.object({ items: z.array(tutorialSummarySchema) }),
      },
    },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const items = await listTutorials(services.db, caller, request.query);
      return { status: 200, body: { items: items.map(toTutorialSummaryView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tutorials/{slug}',
    group,
    operationId: 'getTutorial',
    summary: 'A tutorial: its steps, each done or not and what of yours completed it',
    tags,
    auth: 'user',
    request: { params: slugParams },
    responses: { 200: { description: 'The tutorial', schema: tutorialDetailSchema }, 404: notFound },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const detail = await getTutorial(
        services.db,
        caller,
        request.params.slug,
        baseUrlOf(request, services),
      );
      return { status: 200, body: toTutorialDetailView(detail) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tutorials/{slug}/start',
    group,
    operationId: 'startTutorial',
    summary: 'Start a tutorial, or start it again',
    description:
      'Only what you do from now on completes its steps. Starting again keeps the earlier attempt in `previousAttempts`.',
    tags,
    auth: 'user',
    request: { params: slugParams },
    idempotency: { mode: 'stored' },
    responses: { 200: { description: 'The tutorial, started', schema: tutorialDetailSchema }, 404: notFound },
    async handle(request, services) {
      const { caller } = signedIn(request);
      const detail = await startTutorial(
        services.db,
        caller,
        request.params.slug,
        baseUrlOf(request, services),
      );
      return { status: 200, body: toTutorialDetailView(detail) };
    },
  }),
];
