import * as z from 'zod';
import { MODALITIES, NODE_RUNTIMES, NODE_TYPE_KINDS, TASK_TYPES } from '../../../shared/db/schema';
import { NotFoundError } from '../../../shared/kernel/app-error';
import { defineRoute, type RouteSpec } from '../../../shared/http/route';
import { listMlTasks } from '../../../shared/domain/pipelines/ml-task-repository';
import type { NodeType } from '../../../shared/domain/pipelines/node-type';
import { findNodeType, listNodeTypes } from '../../../shared/domain/pipelines/node-type-repository';
import { NODE_TYPE_KEY_PATTERN } from '../../../shared/domain/pipelines/pipeline-definition';

const portSchema = z.object({
  name: z.string(),
  type: z.string().meta({ description: '`table` (Parquet) or `file`; an edge joins ports of the same type' }),
  required: z.boolean(),
});

export const nodeTypeViewSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(NODE_TYPE_KINDS),
    modalities: z.array(z.enum(MODALITIES)),
    inputPorts: z.array(portSchema),
    outputPorts: z.array(portSchema),
    parametersSchema: z
      .record(z.string(), z.unknown())
      .meta({ description: 'JSON Schema (2020-12) of `params`, with defaults' }),
    runtime: z.enum(NODE_RUNTIMES),
    costModel: z.object({ baseSeconds: z.number(), secondsPerMillionRows: z.number() }).meta({
      description:
        'Expected run time = baseSeconds + input rows / 1e6 × secondsPerMillionRows (plus a budget the node runs to, such as AutoML’s); a run’s estimate prices it on the node’s runtime (README, “Credits”)',
    }),
    version: z.number().int(),
    isActive: z.boolean(),
  })
  .meta({
    id: 'NodeType',
    description: 'A catalog entry: what a pipeline node of this type takes, gives and costs',
  });

export const mlTaskViewSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    modality: z.enum(MODALITIES),
    taskType: z.enum(TASK_TYPES),
    metrics: z.array(z.string()),
    template: z.object({ nodes: z.array(z.unknown()), edges: z.array(z.unknown()) }),
    recommendedAlgorithms: z.array(z.string()),
  })
  .meta({ id: 'MlTask', description: 'An ML task template: how it is measured and a starting pipeline' });

function nodeTypeView(type: NodeType) {
  return {
    ...type,
    inputPorts: type.inputPorts.map((port) => ({ ...port, required: port.required ?? false })),
    outputPorts: type.outputPorts.map((port) => ({ ...port, required: port.required ?? false })),
  };
}

export const catalogRoutes: RouteSpec[] = [
  defineRoute({
    method: 'GET',
    path: '/node-types',
    group: 'catalog',
    operationId: 'listNodeTypes',
    summary: 'The node catalog: every node type a pipeline may contain',
    tags: ['catalog'],
    auth: 'none',
    request: {
      query: z.object({
        modality: z
          .enum(MODALITIES)
          .optional()
          .meta({ description: 'Only node types that work on this modality' }),
        kind: z.enum(NODE_TYPE_KINDS).optional(),
      }),
    },
    responses: {
      200: {
        description: 'Active node types, by key',
        schema: z.object({ items: z.array(nodeTypeViewSchema) }),
      },
    },
    async handle(request, services) {
      const types = await listNodeTypes(services.db, request.query);
      return {
        status: 200,
        headers: { 'cache-control': 'private, max-age=60' },
        body: { items: types.map(nodeTypeView) },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/node-types/{key}',
    group: 'catalog',
    operationId: 'getNodeType',
    summary: 'One node type, retired ones included',
    tags: ['catalog'],
    auth: 'none',
    request: {
      params: z.object({
        key: z.string().regex(NODE_TYPE_KEY_PATTERN, 'A node type key looks like "table.split"'),
      }),
    },
    responses: {
      200: { description: 'The node type', schema: nodeTypeViewSchema },
      404: { description: 'No node type has this key' },
    },
    async handle(request, services) {
      const type = await findNodeType(services.db, request.params.key);
      if (!type) throw new NotFoundError('Node type', request.params.key, { code: 'NODE_TYPE.NOT_FOUND' });
      return { status: 200, headers: { 'cache-control': 'private, max-age=60' }, body: nodeTypeView(type) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/ml-tasks',
    group: 'catalog',
    operationId: 'listMlTasks',
    summary: 'ML task templates (classification, regression, clustering, …) per modality',
    tags: ['catalog'],
    auth: 'none',
    request: { query: z.object({ modality: z.enum(MODALITIES).optional() }) },
    responses: {
      200: { description: 'Active ML tasks', schema: z.object({ items: z.array(mlTaskViewSchema) }) },
    },
    async handle(request, services) {
      const tasks = await listMlTasks(services.db, request.query);
      return { status: 200, headers: { 'cache-control': 'private, max-age=60' }, body: { items: tasks } };
    },
  }),
];
