import { PayloadTooLargeError, ValidationError, type ProblemIssue } from '../../kernel/app-error';
import type { ModelSignature, SignatureInput } from '../learning/model-artifact';
import {
  booleanColumn,
  createTable,
  datetimeColumn,
  numberColumn,
  stringColumn,
  type Table,
  type TableColumn,
} from '../learning/table';

/**
 * Rows sent for online prediction, checked against the model's signature as MLflow enforces
 * one: every input must be present in every row (`null` is a missing value), extra keys are
 * ignored, and each value must cast safely to its input's type or the row and column are named.
 * Pure: no storage, no clock.
 */

/** At most this many rows per request. */
export const MAX_PREDICTION_ROWS = 1_000;
/** At most this many bytes of rows per request. */
export const MAX_PREDICTION_BYTES = 1_000_000;
/** Issues listed in one answer; the rest are counted. */
const MAX_ISSUES = 20;

export type PredictionRow = Readonly<Record<string, unknown>>;

/**
 * Refuses a request over the limits: more rows than `MAX_PREDICTION_ROWS` (400) or a body over
 * `MAX_PREDICTION_BYTES` (413), both naming `body.rows`. `declaredBytes` is the request's own
 * size when known (its Content-Length); the rows' JSON size is measured otherwise.
 */
export function checkPredictionLimits(rows: readonly PredictionRow[], declaredBytes?: number): void {
  if (rows.length > MAX_PREDICTION_ROWS)
    throw new ValidationError(
      `${rows.length} rows were sent; at most ${MAX_PREDICTION_ROWS} rows fit one request: send them in batches.`,
      { field: 'body.rows', code: 'PREDICTION.TOO_MANY_ROWS' },
    );
  const bytes =
    declaredBytes !== undefined && Number.isFinite(declaredBytes)
      ? declaredBytes
      : Buffer.byteLength(JSON.stringify(rows), 'utf8');
  if (bytes > MAX_PREDICTION_BYTES)
    throw new PayloadTooLargeError(
      'PREDICTION.TOO_LARGE',
      `The request takes ${bytes} bytes; at most ${MAX_PREDICTION_BYTES} fit one prediction request: send fewer rows per request.`,
      { field: 'body.rows', details: { bytes, maxBytes: MAX_PREDICTION_BYTES } },
    );
}

type Cast<T> = { ok: true; value: T | null } | { ok: false; reason: string };

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** ISO 8601 date, or date and time with an optional fraction and zone. */
const ISO_DATETIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function castNumber(value: unknown): Cast<number> {
  if (value === null) return { ok: true, value: null };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  if (typeof value === 'string' && NUMBER_TEXT.test(value.trim())) {
    const parsed = Number(value.trim());
    if (Number.isFinite(parsed)) return { ok: true, value: parsed };
  }
  return { ok: false, reason: 'a number (or a string holding one)' };
}

function castString(value: unknown): Cast<string> {
  if (value === null) return { ok: true, value: null };
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
  return { ok: false, reason: 'a string' };
}

function castBoolean(value: unknown): Cast<boolean> {
  if (value === null) return { ok: true, value: null };
  if (typeof value === 'boolean') return { ok: true, value };
  if (value === 0 || value === 1) return { ok: true, value: value === 1 };
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true' || text === '1') return { ok: true, value: true };
    if (text === 'false' || text === '0') return { ok: true, value: false };
  }
  return { ok: false, reason: 'true or false (also 1/0, "true"/"false")' };
}

function castDatetime(value: unknown): Cast<number> {
  if (value === null) return { ok: true, value: null };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  if (typeof value === 'string' && ISO_DATETIME.test(value.trim())) {
    const ms = Date.parse(value.trim().replace(' ', 'T'));
    if (Number.isFinite(ms)) return { ok: true, value: ms };
  }
  return { ok: false, reason: 'an ISO 8601 date-time string or epoch milliseconds' };
}

interface ColumnBuilder {
  /** Casts and keeps the value of one row; the reason when it cannot be cast. */
  push(value: unknown): string | undefined;
  build(): TableColumn;
}

function builderFor(input: SignatureInput): ColumnBuilder {
  const make = <T>(cast: (value: unknown) => Cast<T>, build: (values: (T | null)[]) => TableColumn) => {
    const values: (T | null)[] = [];
    return {
      push(value: unknown) {
        const result = cast(value);
        if (!result.ok) {
          values.push(null);
          return result.reason;
        }
        values.push(result.value);
        return undefined;
      },
      build: () => build(values),
    };
  };
  switch (input.type) {
    case 'number':
      return make(castNumber, (values) => numberColumn(input.name, values));
    case 'string':
      return make(castString, (values) => stringColumn(input.name, values));
    case 'boolean':
      return make(castBoolean, (values) => booleanColumn(input.name, values));
    case 'datetime':
      return make(castDatetime, (values) => datetimeColumn(input.name, values));
  }
}

/** `body.rows[3].age`, or `body.rows[3]["a b"]` for a name that is not an identifier. */
export function rowField(row: number, column: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(column)
    ? `body.rows[${row}].${column}`
    : `body.rows[${row}][${JSON.stringify(column)}]`;
}

/**
 * The rows as a table of the signature's inputs, in its order and with its types. Every problem
 * (an input a row lacks, a value that cannot be cast) is a ValidationError listing up to 20
 * issues, each naming its row and column and saying what to send instead.
 */
export function rowsToTable(signature: ModelSignature, rows: readonly PredictionRow[]): Table {
  const builders = signature.inputs.map((input) => ({ input, builder: builderFor(input) }));
  const issues: ProblemIssue[] = [];
  let issueCount = 0;
  const report = (issue: ProblemIssue) => {
    issueCount += 1;
    if (issues.length < MAX_ISSUES) issues.push(issue);
  };
  rows.forEach((row, i) => {
    for (const { input, builder } of builders) {
      if (!Object.hasOwn(row, input.name)) {
        builder.push(null);
        report({
          field: rowField(i, input.name),
          message: `Row ${i} lacks the input "${input.name}" (${input.type}) the model was trained on: send it, with null for a missing value.`,
        });
        continue;
      }
      const value = row[input.name];
      const reason = builder.push(value);
      if (reason !== undefined)
        report({
          field: rowField(i, input.name),
          message: `Row ${i}, column "${input.name}": ${describe(value)} cannot be read as ${input.type}; send ${reason}, or null for a missing value.`,
        });
    }
  });
  if (issues.length > 0) {
    const more = issueCount > issues.length ? ` (and ${issueCount - issues.length} more)` : '';
    const first = issues[0]?.message ?? '';
    throw new ValidationError(
      issueCount === 1 ? first : `${issueCount} values do not fit the model's inputs${more}. ${first}`,
      { issues, code: 'PREDICTION.INVALID_ROWS', details: { issueCount } },
    );
  }
  return createTable(
    builders.map(({ builder }) => builder.build()),
    rows.length,
  );
}
