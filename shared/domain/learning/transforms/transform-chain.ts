/**
 * The registry of tabular transforms and the chain that runs them: each step is fitted on the
 * output of the previous one, on the training rows only, and the fitted states replay the same
 * chain on test rows and on rows sent for prediction.
 */
import { closestName, findColumn, type Table } from '../table';
import { applyCast, describeCast, fitCast, type CastParams, type CastState } from './cast';
import {
  applyClipOutliers,
  describeClipOutliers,
  fitClipOutliers,
  type ClipOutliersParams,
  type ClipOutliersState,
} from './clip-outliers';
import {
  applyDateParts,
  describeDateParts,
  fitDateParts,
  type DatePartsParams,
  type DatePartsState,
} from './date-parts';
import {
  applyDeduplicate,
  describeDeduplicate,
  fitDeduplicate,
  type DeduplicateParams,
  type DeduplicateState,
} from './deduplicate';
import {
  applyDerivedColumn,
  describeDerivedColumn,
  fitDerivedColumn,
  type DerivedColumnParams,
  type DerivedColumnState,
} from './derived-column';
import {
  applyDropColumns,
  describeDropColumns,
  dropColumnsWarnings,
  fitDropColumns,
  type DropColumnsParams,
  type DropColumnsState,
} from './drop-columns';
import {
  applyImpute,
  describeImpute,
  fitImpute,
  imputeWarnings,
  type ImputeParams,
  type ImputeState,
} from './impute';
import {
  applyOneHot,
  describeOneHot,
  fitOneHot,
  oneHotWarnings,
  type OneHotParams,
  type OneHotState,
} from './one-hot';
import {
  applyOrdinalEncode,
  describeOrdinalEncode,
  fitOrdinalEncode,
  ordinalEncodeWarnings,
  type OrdinalEncodeParams,
  type OrdinalEncodeState,
} from './ordinal-encode';
import { applyScale, describeScale, fitScale, type ScaleParams, type ScaleState } from './scale';
import { applyTfidf, describeTfidf, fitTfidf, type TfidfParams, type TfidfState } from './tfidf';
import {
  applyTextClean,
  describeTextClean,
  fitTextClean,
  type TextCleanParams,
  type TextCleanState,
} from './text-clean';
import {
  applyTextTokenize,
  describeTextTokenize,
  fitTextTokenize,
  textTokenizeWarnings,
  type TextTokenizeParams,
  type TextTokenizeState,
} from './text-tokenize';
import {
  checkStateHeader,
  TransformStateError,
  type ApplyOptions,
  type FitContext,
  type TransformState,
} from './transform-state';

/** One step of a pipeline's transforms, as written in the pipeline definition. */
export interface TransformStep {
  readonly kind: string;
  readonly params?: unknown;
}

export interface TransformWarning {
  /** 0-based index of the step. */
  readonly step: number;
  readonly kind: string;
  readonly message: string;
}

interface TransformDefinition {
  readonly summary: string;
  fit(table: Table, params: unknown, context: FitContext): TransformState;
  apply(state: TransformState, table: Table, options: ApplyOptions): Table;
  describe(state: TransformState): string;
  warnings(state: TransformState): string[];
}

/**
 * Adapts one transform's typed functions to the registry. Params are validated by each fit
 * function, and states read back from JSON are checked by `checkStateHeader` before apply.
 */
function define<P, S extends TransformState>(definition: {
  summary: string;
  fit(table: Table, params: P, context: FitContext): S;
  apply(state: S, table: Table, options: ApplyOptions): Table;
  describe(state: S): string;
  warnings?(state: S): string[];
}): TransformDefinition {
  return {
    summary: definition.summary,
    fit: (table, params, context) => definition.fit(table, params as P, context),
    apply: (state, table, options) => definition.apply(state as S, table, options),
    describe: (state) => definition.describe(state as S),
    warnings: (state) => definition.warnings?.(state as S) ?? [],
  };
}

const REGISTRY: ReadonlyMap<string, TransformDefinition> = new Map([
  [
    'impute',
    define<ImputeParams, ImputeState>({
      summary: 'Fill missing values (mean, median, most frequent, constant), optionally with indicators.',
      fit: fitImpute,
      apply: applyImpute,
      describe: describeImpute,
      warnings: imputeWarnings,
    }),
  ],
  [
    'scale',
    define<ScaleParams, ScaleState>({
      summary: 'Rescale number columns (standard, min–max, robust).',
      fit: fitScale,
      apply: applyScale,
      describe: describeScale,
    }),
  ],
  [
    'one_hot',
    define<OneHotParams, OneHotState>({
      summary: 'One boolean column per category of text columns.',
      fit: fitOneHot,
      apply: applyOneHot,
      describe: describeOneHot,
      warnings: oneHotWarnings,
    }),
  ],
  [
    'ordinal_encode',
    define<OrdinalEncodeParams, OrdinalEncodeState>({
      summary: 'Category codes 0…n−1 for gradient boosting’s categorical splits.',
      fit: fitOrdinalEncode,
      apply: applyOrdinalEncode,
      describe: describeOrdinalEncode,
      warnings: ordinalEncodeWarnings,
    }),
  ],
  [
    'date_parts',
    define<DatePartsParams, DatePartsState>({
      summary: 'Year, month, day, weekday, hour, day of year and weekend flag of dates.',
      fit: fitDateParts,
      apply: applyDateParts,
      describe: describeDateParts,
    }),
  ],
  [
    'clip_outliers',
    define<ClipOutliersParams, ClipOutliersState>({
      summary: 'Clip number columns to IQR fences or quantiles of the training rows.',
      fit: fitClipOutliers,
      apply: applyClipOutliers,
      describe: describeClipOutliers,
    }),
  ],
  [
    'deduplicate',
    define<DeduplicateParams, DeduplicateState>({
      summary: 'Drop duplicate rows (not at prediction).',
      fit: fitDeduplicate,
      apply: applyDeduplicate,
      describe: describeDeduplicate,
    }),
  ],
  [
    'cast',
    define<CastParams, CastState>({
      summary: 'Convert columns to number, string, boolean or datetime.',
      fit: fitCast,
      apply: applyCast,
      describe: describeCast,
    }),
  ],
  [
    'drop_columns',
    define<DropColumnsParams, DropColumnsState>({
      summary: 'Drop constant or mostly-missing columns.',
      fit: fitDropColumns,
      apply: applyDropColumns,
      describe: describeDropColumns,
      warnings: dropColumnsWarnings,
    }),
  ],
  [
    'derived_column',
    define<DerivedColumnParams, DerivedColumnState>({
      summary: 'A column computed by a safe expression over other columns.',
      fit: fitDerivedColumn,
      apply: applyDerivedColumn,
      describe: describeDerivedColumn,
    }),
  ],
  [
    'tfidf',
    define<TfidfParams, TfidfState>({
      summary: 'TF-IDF term weights of a text column.',
      fit: fitTfidf,
      apply: applyTfidf,
      describe: describeTfidf,
    }),
  ],
  [
    'text_clean',
    define<TextCleanParams, TextCleanState>({
      summary: 'Clean text: strip markup, normalise Unicode, lower-case, collapse white space.',
      fit: fitTextClean,
      apply: applyTextClean,
      describe: describeTextClean,
    }),
  ],
  [
    'text_tokenize',
    define<TextTokenizeParams, TextTokenizeState>({
      summary: 'Words of text without the stop words of its language.',
      fit: fitTextTokenize,
      apply: applyTextTokenize,
      describe: describeTextTokenize,
      warnings: textTokenizeWarnings,
    }),
  ],
]);

/** The transform kinds, with a one-line summary each. */
export const TRANSFORM_KINDS: readonly { kind: string; summary: string }[] = [...REGISTRY].map(
  ([kind, d]) => ({
    kind,
    summary: d.summary,
  }),
);

export class UnknownTransformError extends Error {
  override readonly name = 'UnknownTransformError';
  constructor(readonly kind: unknown) {
    const known = [...REGISTRY.keys()];
    const suggestion = typeof kind === 'string' ? closestName(kind, known) : undefined;
    super(
      `Unknown transform kind ${JSON.stringify(kind)}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} ` +
        `Kinds: ${known.join(', ')}.`,
    );
  }
}

/** A step of a chain failed; `cause` is the transform's own error. */
export class TransformStepError extends Error {
  override readonly name = 'TransformStepError';
  constructor(
    readonly step: number,
    readonly kind: string,
    cause: unknown,
  ) {
    super(`Transform step ${step + 1} (${kind}): ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

function definitionOf(kind: unknown): TransformDefinition {
  const definition = typeof kind === 'string' ? REGISTRY.get(kind) : undefined;
  if (!definition) throw new UnknownTransformError(kind);
  return definition;
}

function definitionOfState(state: unknown): TransformDefinition {
  const kind = typeof state === 'object' && state !== null ? (state as { kind?: unknown }).kind : undefined;
  const definition = definitionOf(kind);
  checkStateHeader(state, String(kind));
  return definition;
}

export interface FittedTransformChain {
  /** The fitted state of each step, in order: plain JSON for the model artifact. */
  readonly states: readonly TransformState[];
  /** The training table after every step. */
  readonly table: Table;
  /** Things the user should know (dropped columns, collapsed categories, empty columns). */
  readonly warnings: readonly TransformWarning[];
  /**
   * Ordinal-encoded columns still in the output → category count, for `toFeatureMatrix` and
   * the learners' categorical splits.
   */
  readonly categoricalEncodings: Readonly<Record<string, number>>;
}

function readSteps(steps: unknown): TransformStep[] {
  if (!Array.isArray(steps))
    throw new TransformStateError('Transform steps must be a list of {kind, params}.');
  return steps.map((step: unknown, i) => {
    if (typeof step !== 'object' || step === null || typeof (step as { kind?: unknown }).kind !== 'string')
      throw new TransformStateError(`Transform step ${i + 1} must be an object with a "kind" string.`);
    return step as TransformStep;
  });
}

/**
 * Fits every step on the output of the previous one, starting from the training rows only.
 * Ordinal codes are kept out of later steps' default column choices (scaling codes would break
 * their categorical meaning); name them explicitly to override.
 */
export function fitTransformChain(
  steps: readonly TransformStep[],
  trainTable: Table,
  context: FitContext = {},
): FittedTransformChain {
  const list = readSteps(steps);
  const definitions = list.map((s) => definitionOf(s.kind));
  const passthrough = new Set(context.passthrough ?? []);
  const states: TransformState[] = [];
  const warnings: TransformWarning[] = [];
  let table = trainTable;
  list.forEach((step, i) => {
    const definition = definitions[i] ?? definitionOf(step.kind);
    try {
      const state = definition.fit(table, step.params, { passthrough: [...passthrough] });
      table = definition.apply(state, table, { mode: 'batch' });
      states.push(state);
      for (const message of definition.warnings(state)) warnings.push({ step: i, kind: step.kind, message });
      if (state.kind === 'ordinal_encode')
        for (const c of (state as OrdinalEncodeState).columns) passthrough.add(c.column);
    } catch (error) {
      throw new TransformStepError(i, step.kind, error);
    }
  });
  return { states, table, warnings, categoricalEncodings: categoricalEncodingsOf(states, table) };
}

/**
 * Replays fitted states on `table` (test rows, or rows sent for prediction with
 * `{ mode: 'prediction' }`). States may come straight from JSON.
 */
export function applyTransformChain(
  states: readonly TransformState[],
  table: Table,
  options: ApplyOptions = {},
): Table {
  if (!Array.isArray(states)) throw new TransformStateError('Transform states must be a list.');
  let out = table;
  states.forEach((state, i) => {
    const definition = definitionOfState(state);
    try {
      out = definition.apply(state, out, options);
    } catch (error) {
      throw new TransformStepError(i, state.kind, error);
    }
  });
  return out;
}

/** One sentence describing a fitted state, for people. */
export function describeTransformState(state: TransformState): string {
  return definitionOfState(state).describe(state);
}

/** The warnings a fitted state carries (also returned by `fitTransformChain`). */
export function transformStateWarnings(state: TransformState): string[] {
  return definitionOfState(state).warnings(state);
}

/** Ordinal-encoded columns present (as numbers) in `table` → their category counts. */
export function categoricalEncodingsOf(
  states: readonly TransformState[],
  table: Table,
): Readonly<Record<string, number>> {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const state of states) {
    if (state.kind !== 'ordinal_encode') continue;
    for (const c of (state as OrdinalEncodeState).columns)
      if (findColumn(table, c.column)?.kind === 'number') counts[c.column] = c.categoryCount;
  }
  return counts;
}
