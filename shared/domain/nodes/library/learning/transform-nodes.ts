import * as z from 'zod';
import { columnNames, type Table } from '../../../learning/table';
import { DATE_PARTS } from '../../../learning/transforms/date-parts';
import {
  applyTransformChain,
  fitTransformChain,
  TransformStepError,
  type FittedTransformChain,
} from '../../../learning/transforms/transform-chain';
import {
  defineNode,
  type NodeContext,
  type NodeImplementation,
  type NodeInputs,
} from '../../node-definition';
import { NodeError } from '../../node-errors';
import { downloadInput } from '../../table-io';
import { readFrame, writeFrameOutput, writeJsonOutput } from '../../table-frames';
import { readTransforms, type TransformsDocument } from './transforms-document';

/**
 * Tabular transforms as pipeline nodes. Each one is fitted on its `train` input only and applied
 * to `train` and, when connected, `test`. Its fitted state joins the transforms its input already
 * carries (`transformsKey`), so a model trained downstream replays every step at prediction.
 * The dataset's target column is left alone unless named.
 */
const columns = z
  .array(z.string().min(1).max(255))
  .min(1)
  .max(10_000)
  .optional()
  .describe('Columns to transform; default: every column that suits the transform except the target.');
const target = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe("The label column, left untouched; default: the dataset's target column.");
const fillValue = z.union([z.number(), z.string().max(1_000), z.boolean()]);

const TRANSFORM_PARAMS = {
  impute: z
    .object({
      columns,
      target,
      strategy: z.enum(['mean', 'median', 'most_frequent', 'constant']).default('mean'),
      categoricalStrategy: z.enum(['most_frequent', 'constant']).default('most_frequent'),
      fillValue: fillValue.optional(),
      columnStrategies: z
        .array(
          z
            .object({
              column: z.string().min(1).max(255),
              strategy: z.enum(['mean', 'median', 'most_frequent', 'constant']),
              fillValue: fillValue.optional(),
            })
            .strict(),
        )
        .max(10_000)
        .optional(),
      addIndicator: z.boolean().default(false),
    })
    .strict(),
  scale: z
    .object({
      columns,
      target,
      method: z.enum(['standard', 'minmax', 'robust']).default('standard'),
      featureRange: z.tuple([z.number(), z.number()]).optional(),
      quantileRange: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).optional(),
    })
    .strict(),
  one_hot: z
    .object({
      columns,
      target,
      maxCategories: z.number().int().min(1).max(1_000).default(20),
      minFrequency: z.number().min(0).optional(),
      unseen: z.enum(['zeros', 'other']).default('zeros'),
    })
    .strict(),
  ordinal_encode: z
    .object({ columns, target, maxCategories: z.number().int().min(1).max(65_535).optional() })
    .strict(),
  date_parts: z
    .object({
      columns,
      target,
      parts: z.array(z.enum(DATE_PARTS)).min(1).optional(),
      keepOriginal: z.boolean().default(false),
    })
    .strict(),
  clip_outliers: z
    .object({
      columns,
      target,
      method: z.enum(['iqr', 'quantile']).default('iqr'),
      k: z.number().positive().optional(),
      lower: z.number().min(0).max(1).optional(),
      upper: z.number().min(0).max(1).optional(),
    })
    .strict(),
  deduplicate: z.object({ columns, target }).strict(),
  cast: z
    .object({
      columns: z.array(z.string().min(1).max(255)).min(1).max(10_000),
      target,
      to: z.enum(['number', 'string', 'boolean', 'datetime']),
      strict: z.boolean().default(false),
    })
    .strict(),
  drop_columns: z
    .object({
      columns,
      target,
      maxMissingFraction: z.number().min(0).max(1).default(0.95),
      dropConstant: z.boolean().default(true),
    })
    .strict(),
  derived_column: z
    .object({
      target,
      name: z.string().min(1).max(255),
      expression: z.string().min(1).max(4_000).describe('e.g. `log(income + 1) / household_size`'),
      replace: z.boolean().default(false),
    })
    .strict(),
  tfidf: z
    .object({
      target,
      column: z.string().min(1).max(255),
      ngramRange: z.tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)]).optional(),
      maxFeatures: z.number().int().min(1).max(100_000).optional(),
      minDf: z.number().min(0).optional(),
      maxDf: z.number().min(0).optional(),
      lowercase: z.boolean().default(true),
      smoothIdf: z.boolean().default(true),
      sublinearTf: z.boolean().default(false),
      norm: z.enum(['l2', 'l1', 'none']).default('l2'),
      keepOriginal: z.boolean().default(false),
    })
    .strict(),
} as const;

export type TransformKind = keyof typeof TRANSFORM_PARAMS;
/** The parameter schema of transform `kind`'s node. */
export function transformNodeParams<K extends TransformKind>(kind: K): (typeof TRANSFORM_PARAMS)[K] {
  return TRANSFORM_PARAMS[kind];
}

export const TRANSFORM_NODE_KINDS = Object.keys(TRANSFORM_PARAMS) as TransformKind[];

export function transformNodeKey(kind: TransformKind): string {
  return `transform.${kind}`;
}

/** The target column a transform leaves alone: named in params, else the dataset's. */
export async function targetColumnOf(
  context: NodeContext,
  named: string | undefined,
): Promise<string | undefined> {
  if (named) return named;
  return (await context.jobDataset())?.targetColumn ?? undefined;
}

async function readPort(context: NodeContext, inputs: NodeInputs, port: string): Promise<Table> {
  return readFrame(context, await downloadInput(context, inputs, port));
}

function makeTransformNode(kind: TransformKind): NodeImplementation {
  return defineTransformNode(transformNodeKey(kind), kind, TRANSFORM_PARAMS[kind]);
}

/**
 * A node that fits transform `kind` of the transform chain under its own key and parameters
 * (e.g. the text nodes): the same fitting, replay and transforms document as `transform.*`.
 */
export function defineTransformNode(
  key: string,
  kind: string,
  schema: z.ZodType<Record<string, unknown>>,
): NodeImplementation {
  return defineNode({
    key,
    params: schema,
    async run(context, inputs, params) {
      const { target: named, ...stepParams } = params as { target?: string } & Record<string, unknown>;
      const train = await readPort(context, inputs, 'train');
      const target = await targetColumnOf(context, named);
      const present = target && columnNames(train).includes(target) ? target : undefined;
      const previous: TransformsDocument = inputs['train']?.transformsKey
        ? await readTransforms(context, inputs['train'].transformsKey)
        : { format: 'pipeweave.transforms', version: 1, inputs: describeInputs(train, present), states: [] };
      await context.progress(0.3, `fitting ${kind} on ${train.nRows} training rows`);
      let fitted: FittedTransformChain;
      try {
        fitted = fitTransformChain([{ kind, params: stepParams }], train, {
          passthrough: present ? [present] : [],
        });
      } catch (error) {
        throw asNodeError(error);
      }
      const state = fitted.states[0];
      if (!state) throw new NodeError(`The ${kind} transform produced no state.`);
      const document: TransformsDocument = { ...previous, states: [...previous.states, state] };
      const transforms = await writeJsonOutput(context, 'transforms', document);
      await context.progress(0.6, 'writing the transformed training rows');
      const trainOut = await writeFrameOutput(context, 'train', fitted.table);
      const outputs: Record<string, typeof trainOut> = {
        train: { ...trainOut, transformsKey: transforms.key },
        transforms,
      };
      let testRows = 0;
      if (inputs['test']) {
        const test = await readPort(context, inputs, 'test');
        let applied: Table;
        try {
          applied = applyTransformChain([state], test);
        } catch (error) {
          throw asNodeError(error);
        }
        outputs['test'] = {
          ...(await writeFrameOutput(context, 'test', applied)),
          transformsKey: transforms.key,
        };
        testRows = applied.nRows;
      }
      for (const warning of fitted.warnings) context.logger.warn(warning.message, { kind });
      return {
        outputs,
        metrics: {
          trainRows: fitted.table.nRows,
          testRows,
          columnsIn: train.columns.length,
          columnsOut: fitted.table.columns.length,
          warnings: fitted.warnings
            .map((w) => w.message)
            .join(' ')
            .slice(0, 2_000),
        },
      };
    },
  });
}

function describeInputs(table: Table, target: string | undefined): TransformsDocument['inputs'] {
  return table.columns
    .filter((column) => column.name !== target)
    .map((column) => ({ name: column.name, type: column.kind }));
}

/** Transform errors name the column and the fix: they become the node's error as they are. */
function asNodeError(error: unknown): Error {
  if (error instanceof TransformStepError) {
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    return new NodeError(cause, 'params');
  }
  if (error instanceof Error) return new NodeError(error.message, 'params');
  return new NodeError(String(error));
}

export const transformNodes: readonly NodeImplementation[] = TRANSFORM_NODE_KINDS.map(makeTransformNode);
