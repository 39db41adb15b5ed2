import * as z from 'zod';
import type { JsonObject } from '../../db/schema';
import { nodeRegistry, type NodeRegistry } from './registry';

/**
 * The JSON Schema (2020-12) of a node's parameters, derived from the zod schema the node parses
 * them with: the catalog publishes it (seeded into `node_types.parameters_schema`) and pipeline
 * validation checks params with the zod schema itself, so what the catalog describes, what
 * validation accepts and what the node runs with are one definition. Refinements zod cannot
 * express in JSON Schema (e.g. "`in` needs a list") are still checked at validation time.
 */
export function nodeParametersSchema(key: string, registry: NodeRegistry = nodeRegistry): JsonObject {
  const schema = z.toJSONSchema(registry.get(key).params, {
    target: 'draft-2020-12',
    // The shape a client sends: defaulted fields are optional and carry their default.
    io: 'input',
    unrepresentable: 'any',
  });
  return JSON.parse(JSON.stringify(schema)) as JsonObject;
}
