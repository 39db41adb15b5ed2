import { z } from 'zod';
import { ownerScope } from '../../../shared/db/owner-filter';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { signedIn } from '../../../shared/kernel/request-context';
import { getModel } from '../../../shared/domain/models/get-model';
import { modelView, modelViewSchema } from '../../../shared/domain/models/model-view';

/**
 * `models`: the models training nodes registered. Reading one is all there is so far; the model
 * registry (lists, stages, downloads) grows in this group, its own function.
 */
export const modelRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/models/{modelId}',
    group: 'models',
    operationId: 'getModel',
    summary: 'A trained model with its scores and lineage',
    description:
      'Algorithm, problem type, framework version, metrics, hyperparameters and feature schema, the artifact’s size and SHA-256, and where it came from: job, pipeline, experiment run, dataset version (with its SHA-256) and seed.',
    tags: ['models'],
    auth: 'user',
    request: { params: z.object({ modelId: z.uuid().transform((value) => value.toLowerCase()) }) },
    responses: {
      200: { description: 'The model', schema: modelViewSchema },
      404: { description: 'No such model (or not yours)' },
    },
    async handle(request, services) {
      const model = await getModel(services.db, ownerScope(signedIn(request).caller), request.params.modelId);
      return { status: 200, body: modelView(model) };
    },
  }),
];
