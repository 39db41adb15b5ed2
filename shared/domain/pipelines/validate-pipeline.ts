import type { z } from 'zod';
import type { Modality } from '../../db/schema';
import { nodeRegistry, type NodeRegistry } from '../nodes/registry';
import type { NodeCatalog, NodeType } from './node-type';
import {
  NODE_ID_PATTERN,
  pipelineDefinitionSchema,
  type PipelineDefinition,
  type PipelineNode,
} from './pipeline-definition';
import { PipelineGraphError, planStages, type StagePlan } from './plan-stages';

/**
 * Checks a pipeline definition against the node catalog, purely (no I/O): structure, node types,
 * modality, ports and their types, the inputs each node needs, acyclicity and parameters. Every
 * problem is reported at once, each naming the node and the field
 * (`nodes[split-1].params.testFraction`), so a person can fix them all in one go. A valid
 * definition comes back with parameter defaults filled in: that is the form to snapshot and run.
 * Parameters are checked with the zod schema the node itself parses them with (the catalog's JSON
 * Schema is derived from it), so params that pass here are params the node accepts at run time.
 */

/** The node type that reads a dataset's table (its processed Parquet). */
export const DATASET_SOURCE_NODE_TYPE = 'dataset.source';

/**
 * The node types that read a version of one of the owner's datasets: `dataset.source` (its table)
 * and `seismic.source` (a SEG-Y version's trace store). Each takes `datasetId` (absent: the
 * pipeline's dataset, or the one the job runs on) and `version`; whatever resolves a pipeline's
 * datasets (whose they are, their modality, the job's dataset) treats them alike.
 */
export const DATASET_SOURCE_NODE_TYPES: ReadonlySet<string> = new Set([
  DATASET_SOURCE_NODE_TYPE,
  'seismic.source',
]);

export const isDatasetSourceNode = (type: unknown): boolean =>
  typeof type === 'string' && DATASET_SOURCE_NODE_TYPES.has(type);

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The dataset ids the sources of a definition name (lower-cased), read from unchecked input:
 * what is not a source or not a UUID is left to the validation to report.
 */
export function sourceDatasetIds(definition: unknown): string[] {
  const nodes = isRecord(definition) ? definition['nodes'] : undefined;
  const ids = new Set<string>();
  for (const node of Array.isArray(nodes) ? nodes : []) {
    if (!isRecord(node) || !isDatasetSourceNode(node['type']) || !isRecord(node['params'])) continue;
    const id = node['params']['datasetId'];
    if (typeof id === 'string' && UUID_PATTERN.test(id)) ids.add(id.toLowerCase());
  }
  return [...ids];
}

export const PIPELINE_ISSUE_CODES = [
  'PIPELINE.INVALID_STRUCTURE',
  'PIPELINE.EMPTY',
  'PIPELINE.DUPLICATE_NODE',
  'PIPELINE.UNKNOWN_NODE_TYPE',
  'PIPELINE.INACTIVE_NODE_TYPE',
  'PIPELINE.MODALITY_MISMATCH',
  'PIPELINE.UNKNOWN_NODE',
  'PIPELINE.UNKNOWN_PORT',
  'PIPELINE.PORT_TYPE_MISMATCH',
  'PIPELINE.INPUT_MISSING',
  'PIPELINE.INPUT_CONNECTED_TWICE',
  'PIPELINE.CYCLE',
  'PIPELINE.INVALID_PARAMETER',
  'PIPELINE.UNKNOWN_DATASET',
  'PIPELINE.UNKNOWN_COLUMN',
] as const;
export type PipelineIssueCode = (typeof PIPELINE_ISSUE_CODES)[number];

export interface PipelineIssue {
  /** What to fix: `nodes[split-1].params.testFraction`, `nodes[join].inputs.left`, `edges[2].to.port`, `nodes`. */
  field: string;
  code: PipelineIssueCode;
  message: string;
  /** The node concerned, when there is one. */
  nodeId?: string;
}

export interface PipelineValidationContext {
  /** The active catalog (inactive entries may be included: they are reported as no longer available). */
  catalog: NodeCatalog;
  /** The pipeline's dataset: every node must support its modality, and sources without a datasetId read it. */
  dataset?: { id: string; modality: Modality } | undefined;
  /**
   * The datasets the pipeline's owner may read, by id. When given, a source naming any other id is
   * an error and each source's dataset modality must suit every node downstream of it.
   */
  datasets?: ReadonlyMap<string, { modality: Modality }> | undefined;
  /** The node implementations whose params schemas apply (default: the product's registry). */
  registry?: NodeRegistry | undefined;
}

export type PipelineValidationResult =
  | {
      valid: true;
      /** The definition with parameter defaults (and the pipeline's dataset) filled in. */
      definition: PipelineDefinition;
      /** Topological stages (see plan-stages.ts). */
      stages: StagePlan;
      /** The catalog entries the definition uses, by key (what a snapshot keeps). */
      nodeTypes: Record<string, NodeType>;
      issues: [];
    }
  | { valid: false; issues: PipelineIssue[] };

const nodeField = (nodeId: string) => `nodes[${nodeId}]`;

export function validatePipeline(
  input: unknown,
  context: PipelineValidationContext,
): PipelineValidationResult {
  const parsed = pipelineDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    return {
      valid: false,
      issues: parsed.error.issues.flatMap((issue): PipelineIssue[] => {
        const field = structureField(input, issue.path);
        const nodeId = nodeIdOf(input, issue.path);
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => ({
            field: propertyPath(field, key),
            code: 'PIPELINE.INVALID_STRUCTURE',
            message: `"${key}" is not an allowed field here.`,
            ...nodeId,
          }));
        }
        return [{ field, code: 'PIPELINE.INVALID_STRUCTURE', message: issue.message, ...nodeId }];
      }),
    };
  }
  const definition = parsed.data;
  const issues: PipelineIssue[] = [];
  if (definition.nodes.length === 0) {
    issues.push({ field: 'nodes', code: 'PIPELINE.EMPTY', message: 'A pipeline needs at least one node.' });
  }

  // Nodes: unique ids, known and active types, valid parameters.
  const nodes = new Map<string, { node: PipelineNode; type: NodeType | undefined }>();
  const normalizedNodes: PipelineNode[] = [];
  for (const [index, node] of definition.nodes.entries()) {
    if (nodes.has(node.id)) {
      issues.push({
        field: `nodes[${index}].id`,
        code: 'PIPELINE.DUPLICATE_NODE',
        message: `The node id "${node.id}" is used by more than one node.`,
        nodeId: node.id,
      });
      continue;
    }
    const type = context.catalog.get(node.type);
    if (!type) {
      issues.push({
        field: `${nodeField(node.id)}.type`,
        code: 'PIPELINE.UNKNOWN_NODE_TYPE',
        message: `There is no node type "${node.type}".`,
        nodeId: node.id,
      });
    } else if (!type.isActive) {
      issues.push({
        field: `${nodeField(node.id)}.type`,
        code: 'PIPELINE.INACTIVE_NODE_TYPE',
        message: `The node type "${node.type}" is no longer available.`,
        nodeId: node.id,
      });
    }
    nodes.set(node.id, { node, type });
    normalizedNodes.push(type ? { ...node, params: checkParams(node, type, context, issues) } : node);
  }

  // Edges: endpoints exist, ports exist, port types match; count what reaches each input.
  const incoming = new Map<string, string[]>();
  const graphEdges: { from: string; to: string }[] = [];
  for (const [index, edge] of definition.edges.entries()) {
    const from = nodes.get(edge.from.node);
    const to = nodes.get(edge.to.node);
    for (const [end, found] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (!found) {
        issues.push({
          field: `edges[${index}].${end}.node`,
          code: 'PIPELINE.UNKNOWN_NODE',
          message: `There is no node "${edge[end].node}".`,
        });
      }
    }
    if (!from || !to) continue;
    graphEdges.push({ from: edge.from.node, to: edge.to.node });

    const outPort = from.type?.outputPorts.find((p) => p.name === edge.from.port);
    const inPort = to.type?.inputPorts.find((p) => p.name === edge.to.port);
    if (from.type && !outPort) {
      issues.push({
        field: `edges[${index}].from.port`,
        code: 'PIPELINE.UNKNOWN_PORT',
        message: `Node "${edge.from.node}" (${from.type.key}) has no output "${edge.from.port}"${portList('outputs', from.type.outputPorts)}.`,
        nodeId: edge.from.node,
      });
    }
    if (to.type && !inPort) {
      issues.push({
        field: `edges[${index}].to.port`,
        code: 'PIPELINE.UNKNOWN_PORT',
        message: `Node "${edge.to.node}" (${to.type.key}) has no input "${edge.to.port}"${portList('inputs', to.type.inputPorts)}.`,
        nodeId: edge.to.node,
      });
    }
    if (outPort && inPort && outPort.type !== inPort.type) {
      issues.push({
        field: `edges[${index}]`,
        code: 'PIPELINE.PORT_TYPE_MISMATCH',
        message: `Output "${edge.from.node}.${outPort.name}" is a ${outPort.type} but input "${edge.to.node}.${inPort.name}" takes a ${inPort.type}.`,
        nodeId: edge.to.node,
      });
    }
    const key = `${edge.to.node}\u0000${edge.to.port}`;
    incoming.set(key, [...(incoming.get(key) ?? []), `${edge.from.node}.${edge.from.port}`]);
  }

  // Inputs: each required input connected exactly once, no input connected twice.
  for (const { node, type } of nodes.values()) {
    for (const port of type?.inputPorts ?? []) {
      const sources = incoming.get(`${node.id}\u0000${port.name}`) ?? [];
      const field = `${nodeField(node.id)}.inputs.${port.name}`;
      if (sources.length === 0 && port.required) {
        issues.push({
          field,
          code: 'PIPELINE.INPUT_MISSING',
          message: `Input "${port.name}" of node "${node.id}" is not connected.`,
          nodeId: node.id,
        });
      } else if (sources.length > 1) {
        issues.push({
          field,
          code: 'PIPELINE.INPUT_CONNECTED_TWICE',
          message: `Input "${port.name}" of node "${node.id}" takes one connection; it has ${sources.length} (${sources.join(', ')}).`,
          nodeId: node.id,
        });
      }
    }
  }

  // Acyclic, via the same planner the run uses.
  let stages: StagePlan | undefined;
  try {
    stages = planStages({ nodes: [...nodes.values()].map(({ node }) => node), edges: graphEdges });
  } catch (error) {
    if (!(error instanceof PipelineGraphError)) throw error;
    const cycle = error.details?.['cycle'];
    const first = Array.isArray(cycle) && typeof cycle[0] === 'string' ? cycle[0] : undefined;
    issues.push({
      field: 'edges',
      code: 'PIPELINE.CYCLE',
      message: error.message,
      ...(first ? { nodeId: first } : {}),
    });
  }

  if (stages) checkModalities(stages, graphEdges, normalizedNodes, context, issues);

  if (issues.length > 0 || !stages) return { valid: false, issues };
  const nodeTypes: Record<string, NodeType> = {};
  for (const { type } of nodes.values()) if (type) nodeTypes[type.key] = type;
  return {
    valid: true,
    definition: { nodes: normalizedNodes, edges: definition.edges },
    stages,
    nodeTypes,
    issues: [],
  };
}

function checkParams(
  node: PipelineNode,
  type: NodeType,
  context: PipelineValidationContext,
  issues: PipelineIssue[],
): Record<string, unknown> {
  let params = node.params;
  const source = isDatasetSourceNode(type.key);
  if (source && params['datasetId'] === undefined && context.dataset) {
    params = { ...params, datasetId: context.dataset.id };
  }
  const base = `${nodeField(node.id)}.params`;
  const registry = context.registry ?? nodeRegistry;
  if (!type.isActive) return params;
  if (!registry.has(type.key)) {
    issues.push({
      field: `${nodeField(node.id)}.type`,
      code: 'PIPELINE.UNKNOWN_NODE_TYPE',
      message: `The node type "${type.key}" has no implementation in this release.`,
      nodeId: node.id,
    });
    return params;
  }
  if (source && params['datasetId'] === undefined) {
    // The node would read the job's dataset; a pipeline without one must name it.
    issues.push({
      field: propertyPath(base, 'datasetId'),
      code: 'PIPELINE.INVALID_PARAMETER',
      message: 'Parameter "datasetId" is required: the pipeline has no dataset of its own.',
      nodeId: node.id,
    });
  }
  const schema = registry.get(type.key).params;
  const checked = schema.safeParse(params);
  const parameterIssues = checked.success ? [] : checked.error.issues;
  for (const issue of parameterIssues) {
    for (const { path, message } of describeParameterIssue(issue, schema)) {
      issues.push({
        field: `${base}${path}`,
        code: 'PIPELINE.INVALID_PARAMETER',
        message: `${describeParameter(path)} ${message}.`,
        nodeId: node.id,
      });
    }
  }
  const value = checked.success && isRecord(checked.data) ? checked.data : params;

  const datasetId = value['datasetId'];
  if (
    source &&
    context.datasets &&
    typeof datasetId === 'string' &&
    parameterIssues.every((i) => i.path[0] !== 'datasetId') &&
    !context.datasets.has(datasetId.toLowerCase())
  ) {
    issues.push({
      field: propertyPath(base, 'datasetId'),
      code: 'PIPELINE.UNKNOWN_DATASET',
      message: `Dataset ${datasetId} was not found.`,
      nodeId: node.id,
    });
  }
  return value;
}

/** Every node must support the modality of each dataset that flows into it (and of the pipeline's dataset). */
function checkModalities(
  stages: StagePlan,
  edges: readonly { from: string; to: string }[],
  nodes: readonly PipelineNode[],
  context: PipelineValidationContext,
  issues: PipelineIssue[],
): void {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parents = new Map<string, string[]>();
  for (const edge of edges) parents.set(edge.to, [...(parents.get(edge.to) ?? []), edge.from]);
  const flowing = new Map<string, Set<Modality>>();
  for (const id of stages.flat()) {
    const node = byId.get(id);
    if (!node) continue;
    const modalities = new Set<Modality>(context.dataset ? [context.dataset.modality] : []);
    for (const parent of parents.get(id) ?? []) for (const m of flowing.get(parent) ?? []) modalities.add(m);
    const datasetId = node.params['datasetId'];
    const source = isDatasetSourceNode(node.type) && typeof datasetId === 'string';
    if (source) {
      const dataset = context.datasets?.get(datasetId.toLowerCase());
      if (dataset) modalities.add(dataset.modality);
    }
    flowing.set(id, modalities);

    const type = context.catalog.get(node.type);
    if (!type) continue;
    const unsupported = [...modalities].filter((m) => !type.modalities.includes(m));
    if (unsupported.length > 0 && source) {
      // A source reading the wrong kind of dataset: the dataset is what to change.
      issues.push({
        field: propertyPath(`${nodeField(id)}.params`, 'datasetId'),
        code: 'PIPELINE.MODALITY_MISMATCH',
        message: `Node "${id}" (${type.key}) reads ${type.modalities.join(' or ')} datasets; dataset ${datasetId} is ${unsupported.join(', ')}. Choose a ${type.modalities.join(' or ')} dataset.`,
        nodeId: id,
      });
    } else if (unsupported.length > 0) {
      issues.push({
        field: `${nodeField(id)}.type`,
        code: 'PIPELINE.MODALITY_MISMATCH',
        message: `Node "${id}" (${type.key}) does not work on ${unsupported.join(', ')} data; it supports ${type.modalities.join(', ')}.`,
        nodeId: id,
      });
    }
  }
}

function portList(what: string, ports: readonly { name: string }[]): string {
  return ports.length === 0 ? `; it has no ${what}` : `; its ${what}: ${ports.map((p) => p.name).join(', ')}`;
}

function describeParameter(path: string): string {
  return path === '' ? 'The parameter set' : `Parameter "${path.replace(/^\./, '')}"`;
}

/** `base.name`, or `base["odd name"]` when the name is not a plain identifier. */
export function propertyPath(base: string, name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${base}.${name}` : `${base}[${JSON.stringify(name)}]`;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (field, part) => (typeof part === 'number' ? `${field}[${part}]` : propertyPath(field, String(part))),
    '',
  );
}

/** A zod issue of node params in words a person fixing the pipeline understands. */
function describeParameterIssue(
  issue: z.core.$ZodIssue,
  schema: z.ZodType,
): { path: string; message: string }[] {
  const path = issuePath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = issue.path.length === 0 ? topLevelKeys(schema) : [];
      const takes = known.length > 0 ? `; it takes: ${known.join(', ')}` : '';
      return issue.keys.map((key) => ({
        path: propertyPath(path, key),
        message: `is not a parameter of this node${takes}`,
      }));
    }
    case 'invalid_type':
      return [
        {
          path,
          message: issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`,
        },
      ];
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const inclusive = issue.inclusive ?? true;
      const comparison =
        issue.code === 'too_big'
          ? inclusive
            ? 'at most'
            : 'less than'
          : inclusive
            ? 'at least'
            : 'greater than';
      const unit =
        issue.origin === 'array' || issue.origin === 'set'
          ? ' items'
          : issue.origin === 'string'
            ? ' characters'
            : '';
      const what = unit
        ? `must have ${comparison} ${String(bound)}${unit}`
        : `must be ${comparison} ${String(bound)}`;
      return [{ path, message: what }];
    }
    case 'invalid_value':
      return [{ path, message: `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    case 'invalid_format':
      return [{ path, message: `must be a valid ${issue.format}` }];
    default:
      // Refinements (e.g. "`in` needs a non-empty list of values") carry their own explanation.
      return [{ path, message: `is invalid: ${issue.message}` }];
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function topLevelKeys(schema: z.ZodType): string[] {
  const shape: unknown = (schema as { shape?: unknown }).shape;
  return isRecord(shape) ? Object.keys(shape) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names a structural problem by node id where the raw input has a usable id, else by index. */
function structureField(input: unknown, path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'definition';
  let field = '';
  for (const [i, part] of path.entries()) {
    if (typeof part === 'number') {
      const id = path[0] === 'nodes' && i === 1 ? rawNodeId(input, part) : undefined;
      field += `[${id ?? part}]`;
    } else {
      field += field === '' ? String(part) : `.${String(part)}`;
    }
  }
  return field;
}

function rawNodeId(input: unknown, index: number): string | undefined {
  if (!isRecord(input) || !Array.isArray(input['nodes'])) return undefined;
  const node: unknown = input['nodes'][index];
  const id = isRecord(node) ? node['id'] : undefined;
  return typeof id === 'string' && NODE_ID_PATTERN.test(id) ? id : undefined;
}

function nodeIdOf(input: unknown, path: readonly PropertyKey[]): { nodeId?: string } {
  if (path[0] !== 'nodes' || typeof path[1] !== 'number') return {};
  const id = rawNodeId(input, path[1]);
  return id ? { nodeId: id } : {};
}
