import { dataApiJsonBytes } from '../../kernel/bounded-json';
import * as z from 'zod';
import type { PipelineGraph } from './plan-stages';

/**
 * The shape of a pipeline definition: nodes (an id, a node-type key, parameters, and optional
 * editor hints) and edges from an output port of one node to an input port of another. This
 * schema checks structure only; `validatePipeline` checks it against the node catalog.
 */

/** Node ids and port names become parts of object keys (`jobs/{user}/{job}/{node}/{port}.parquet`): same rule as objectKeys. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Node-type keys as the catalog stores them (`table.split`). */
export const NODE_TYPE_KEY_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export const MAX_PIPELINE_NODES = 100;
export const MAX_PIPELINE_EDGES = 300;
/**
 * The serialized definition stays well under the RDS Data API's 64 KB row limit, leaving room for
 * the other columns of the pipeline row (validation errors included).
 */
export const MAX_DEFINITION_BYTES = 40_000;

const identifier = (what: string) =>
  z
    .string()
    .regex(
      NODE_ID_PATTERN,
      `${what} uses letters, digits, "_" and "-", starts with a letter or digit, max 64`,
    );

export const nodeIdSchema = identifier('A node id');
export const portNameSchema = identifier('A port name');

export const endpointSchema = z.strictObject({
  node: nodeIdSchema,
  port: portNameSchema,
});

export const pipelineNodeSchema = z.strictObject({
  id: nodeIdSchema,
  type: z.string().regex(NODE_TYPE_KEY_PATTERN, 'A node type key looks like "table.split"'),
  params: z.record(z.string(), z.unknown()).default({}),
  label: z.string().min(1).max(200).optional(),
  position: z.strictObject({ x: z.number().finite(), y: z.number().finite() }).optional(),
});

export const pipelineEdgeSchema = z.strictObject({
  from: endpointSchema,
  to: endpointSchema,
});

export const pipelineDefinitionSchema = z
  .strictObject({
    nodes: z.array(pipelineNodeSchema).max(MAX_PIPELINE_NODES),
    edges: z.array(pipelineEdgeSchema).max(MAX_PIPELINE_EDGES).default([]),
  })
  .superRefine((definition, ctx) => {
    // Measured as the Data API returns the jsonb column (escapes included): with the stored
    // validation issues, the pipeline row must stay readable (at most 64 KB per row).
    const bytes = dataApiJsonBytes(definition);
    if (bytes > MAX_DEFINITION_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `The definition is ${bytes} bytes as stored; the limit is ${MAX_DEFINITION_BYTES}.`,
      });
    }
  })
  .meta({
    id: 'PipelineDefinition',
    description: 'Nodes (node-type key + parameters) and edges from an output port to an input port',
  });

export type PipelineNode = z.infer<typeof pipelineNodeSchema>;
export type PipelineEdge = z.infer<typeof pipelineEdgeSchema>;
export type PipelineDefinition = z.infer<typeof pipelineDefinitionSchema>;

export const EMPTY_DEFINITION: PipelineDefinition = { nodes: [], edges: [] };

/** The node-level graph `planStages` works on (ports do not matter for ordering). */
export function toPipelineGraph(definition: PipelineDefinition): PipelineGraph {
  return {
    nodes: definition.nodes.map((node) => ({ id: node.id, type: node.type })),
    edges: definition.edges.map((edge) => ({ from: edge.from.node, to: edge.to.node })),
  };
}
