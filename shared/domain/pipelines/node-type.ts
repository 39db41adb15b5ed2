import * as z from 'zod';
import { MODALITIES, NODE_RUNTIMES, NODE_TYPE_KINDS } from '../../db/schema';
import type { NodeTypeDefinition } from './reference-data';
import type { JsonObject } from '../../db/schema';

/** A catalog entry: what a pipeline node of this type consumes, produces, accepts and costs. */
export const nodePortSchema = z.object({
  name: z.string(),
  /** `table`: a Parquet table; `file`: an exported file; `model`: a trained model. Ports connect only to ports of the same type. */
  type: z.string(),
  required: z.boolean().optional(),
});
export type NodeTypePort = z.infer<typeof nodePortSchema>;

/**
 * How long a node of this type is expected to run, which prices the run's estimate
 * (shared/domain/billing/compute-cost.ts). Catalogs written before durations were kept price at
 * the defaults.
 */
export const nodeCostModelSchema = z.object({
  baseSeconds: z.number().nonnegative().default(5),
  secondsPerMillionRows: z.number().nonnegative().default(0),
});
export type NodeCostModel = z.infer<typeof nodeCostModelSchema>;

export interface NodeType {
  key: string;
  name: string;
  description: string;
  kind: (typeof NODE_TYPE_KINDS)[number];
  modalities: (typeof MODALITIES)[number][];
  inputPorts: NodeTypePort[];
  outputPorts: NodeTypePort[];
  /** JSON Schema (2020-12) with defaults, derived from the node's zod params schema (node-parameters-schema.ts). */
  parametersSchema: JsonObject;
  runtime: (typeof NODE_RUNTIMES)[number];
  costModel: NodeCostModel;
  version: number;
  isActive: boolean;
}

/** Parses a `node_types` row (snake_case, jsonb read back as JSON) into a NodeType. */
export const nodeTypeRowSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(NODE_TYPE_KINDS),
    modalities: z.array(z.enum(MODALITIES)),
    input_ports: z.array(nodePortSchema),
    output_ports: z.array(nodePortSchema),
    parameters_schema: z.record(z.string(), z.unknown()),
    runtime: z.enum(NODE_RUNTIMES),
    cost_model: nodeCostModelSchema,
    version: z.number().int(),
    is_active: z.boolean(),
  })
  .transform((row): NodeType => ({
    key: row.key,
    name: row.name,
    description: row.description,
    kind: row.kind,
    modalities: row.modalities,
    inputPorts: row.input_ports,
    outputPorts: row.output_ports,
    parametersSchema: row.parameters_schema as JsonObject,
    runtime: row.runtime,
    costModel: row.cost_model,
    version: row.version,
    isActive: row.is_active,
  }));

/** The catalog as the validator needs it: node types by key. */
export type NodeCatalog = ReadonlyMap<string, NodeType>;

export function toNodeCatalog(types: Iterable<NodeType>): NodeCatalog {
  return new Map([...types].map((type) => [type.key, type]));
}

/** The catalog entry a seed definition becomes once stored (tests and tools use it without a database). */
export function nodeTypeFromDefinition(definition: NodeTypeDefinition): NodeType {
  return {
    key: definition.key,
    name: definition.name,
    description: definition.description,
    kind: definition.kind,
    modalities: [...definition.modalities],
    inputPorts: definition.inputPorts.map((port) => ({ ...port })),
    outputPorts: definition.outputPorts.map((port) => ({ ...port })),
    parametersSchema: definition.parametersSchema,
    runtime: definition.runtime,
    costModel: { ...definition.costModel },
    version: definition.version,
    isActive: true,
  };
}
