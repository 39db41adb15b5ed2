import { callerOwnScope, pageQueryFields, uuidField } from '../../../shared/http/route-fields';
import * as z from 'zod';
import { EXPERIMENT_OBJECTIVE_DIRECTIONS } from '../../../shared/db/schema';
import { queryParam } from '../../../shared/http/query-params';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { signedIn } from '../../../shared/kernel/request-context';
import { noteRead, recordRead } from '../../../shared/domain/tutorials/resource-reads-repository';
import {
  compareExperimentRuns,
  createExperiment,
  findCallerExperiments,
  getExperimentWithRuns,
  MAX_COMPARED_RUNS,
  MAX_RUNS_PER_READ,
} from '../../../shared/domain/experiments/experiment-use-cases';
import {
  experimentRunView,
  experimentView,
  experimentViewSchema,
  experimentWithRunsViewSchema,
  runComparisonView,
  runComparisonViewSchema,
} from '../../../shared/domain/experiments/experiment-view';

/** `experiments`: the trials of training nodes (or your own), their runs and runs side by side. */

/** Ids compare as PostgreSQL prints them. */

const experimentParams = z.object({ experimentId: uuidField() });
const notFound = { description: 'No such experiment (or not yours)' };

export const experimentRoutes: RouteSpec[] = [
  defineRoute({
    method: 'POST',
    path: '/experiments',
    group: 'experiments',
    operationId: 'createExperiment',
    summary: 'Create an experiment',
    description:
      'Training nodes record their trials as runs of an experiment: the job’s own one by default, or one you created here and named in the node’s parameters.',
    tags: ['experiments'],
    auth: 'user',
    idempotency: { mode: 'stored' },
    request: {
      body: z.strictObject({
        name: z.string().trim().min(1).max(255),
        description: z.string().max(5_000).nullable().optional(),
        datasetId: uuidField().nullable().optional(),
        objectiveMetric: z
          .string()
          .trim()
          .min(1)
          .max(200)
          .nullable()
          .optional()
          .meta({ description: 'The metric that ranks runs, e.g. `validation.f1_macro`' }),
        objectiveDirection: z
          .enum(EXPERIMENT_OBJECTIVE_DIRECTIONS)
          .optional()
          .meta({ description: 'Default maximize' }),
      }),
    },
    responses: {
      201: { description: 'The new experiment', schema: experimentViewSchema },
      404: { description: 'The dataset does not exist (or is not yours)' },
    },
    async handle(request, services) {
      const experiment = await createExperiment(services.db, callerOwnScope(request), request.body);
      return {
        status: 201,
        headers: { location: `/experiments/${experiment.id}` },
        body: experimentView(experiment),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/experiments',
    group: 'experiments',
    operationId: 'listExperiments',
    summary: 'Your experiments, newest first',
    description: '`limit` per page; pass `nextCursor` back as `cursor` for the next page.',
    tags: ['experiments'],
    auth: 'user',
    request: {
      query: z.object({
        datasetId: uuidField().optional(),
        pipelineId: uuidField().optional(),
        ...pageQueryFields(100),
      }),
    },
    responses: {
      200: {
        description: 'One page',
        schema: z
          .object({ items: z.array(experimentViewSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'ExperimentList' }),
      },
    },
    async handle(request, services) {
      const { limit, ...filter } = request.query;
      const page = await findCallerExperiments(services.db, callerOwnScope(request), {
        ...filter,
        limit: limit ?? 50,
      });
      return { status: 200, body: { items: page.items.map(experimentView), nextCursor: page.nextCursor } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/experiments/{experimentId}',
    group: 'experiments',
    operationId: 'getExperiment',
    summary: 'One experiment with its runs in run-number order',
    description: `Up to \`runLimit\` runs (default 200, at most ${MAX_RUNS_PER_READ}); when more follow, pass \`nextRunCursor\` as \`afterRun\`.`,
    tags: ['experiments'],
    auth: 'user',
    request: {
      params: experimentParams,
      query: z.object({
        afterRun: queryParam.int({ min: 0 }).optional().meta({ description: 'Runs after this run number' }),
        runLimit: queryParam.int({ min: 1, max: MAX_RUNS_PER_READ }).optional(),
      }),
    },
    responses: {
      200: { description: 'The experiment and its runs', schema: experimentWithRunsViewSchema },
      404: notFound,
    },
    async handle(request, services) {
      const { experiment, runs, nextAfterRunNumber } = await getExperimentWithRuns(
        services.db,
        callerOwnScope(request),
        request.params.experimentId,
        { afterRunNumber: request.query.afterRun, limit: request.query.runLimit ?? 200 },
      );
      await noteRead(services.logger, () =>
        recordRead(services.db, signedIn(request).caller, 'experiment', experiment.id),
      );
      return {
        status: 200,
        body: {
          ...experimentView(experiment),
          runs: runs.map(experimentRunView),
          nextRunCursor: nextAfterRunNumber,
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/experiments/{experimentId}/compare',
    group: 'experiments',
    operationId: 'compareExperimentRuns',
    summary: 'Runs of an experiment side by side',
    description: `One column per run (in the order of \`runs\`), one row per metric or hyperparameter any of them has. Without \`runs\`, the experiment’s first ${MAX_COMPARED_RUNS} runs.`,
    tags: ['experiments'],
    auth: 'user',
    request: {
      params: experimentParams,
      query: z.object({
        runs: queryParam
          .list(uuidField())
          .optional()
          .meta({ description: `Run ids, comma-separated, at most ${MAX_COMPARED_RUNS}` }),
      }),
    },
    responses: {
      200: { description: 'The comparison', schema: runComparisonViewSchema },
      400: {
        description: `\`runs\` names a run that is not one of this experiment’s, or more than ${MAX_COMPARED_RUNS}`,
      },
      404: notFound,
    },
    async handle(request, services) {
      const { experiment, comparison } = await compareExperimentRuns(
        services.db,
        callerOwnScope(request),
        request.params.experimentId,
        request.query.runs,
      );
      return { status: 200, body: runComparisonView(experiment, comparison) };
    },
  }),
];
