/**
 * Validation of a transform's parameters, which arrive as JSON from a pipeline definition.
 * Every error names the field and says how to fix it; unknown fields are rejected so that a
 * misspelt option does not silently fall back to its default.
 */
import { closestName } from '../table';

export class TransformParamsError extends Error {
  override readonly name = 'TransformParamsError';
  constructor(
    readonly transform: string,
    readonly field: string,
    message: string,
  ) {
    super(`${transform}: ${field} ${message}`);
  }
}

interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** Values must be strictly greater than `min`. */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export class ParamsReader {
  private readonly raw: Readonly<Record<string, unknown>>;
  private readonly known = new Set<string>();

  constructor(
    readonly transform: string,
    raw: unknown,
  ) {
    if (raw === undefined || raw === null) this.raw = {};
    else if (typeof raw === 'object' && !Array.isArray(raw)) this.raw = raw as Record<string, unknown>;
    else throw new TransformParamsError(transform, 'params', `must be an object; got ${describeValue(raw)}.`);
  }

  fail(field: string, message: string): never {
    throw new TransformParamsError(this.transform, field, message);
  }

  /** The raw value of `field` (undefined when absent), marking the field as known. */
  value(field: string): unknown {
    this.known.add(field);
    return Object.hasOwn(this.raw, field) ? this.raw[field] : undefined;
  }

  has(field: string): boolean {
    return this.value(field) !== undefined;
  }

  enumValue<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(field);
    if (v === undefined) return fallback;
    const found = allowed.find((a) => a === v);
    if (found === undefined)
      this.fail(field, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}; got ${describeValue(v)}.`);
    return found;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.value(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false; got ${describeValue(v)}.`);
    return v;
  }

  number(field: string, fallback: number, rule: NumberRule = {}): number {
    const v = this.value(field);
    if (v === undefined) return fallback;
    return this.checkNumber(field, v, rule);
  }

  checkNumber(field: string, v: unknown, rule: NumberRule = {}): number {
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(field, `must be a finite number; got ${describeValue(v)}.`);
    if (rule.integer && !Number.isInteger(v)) this.fail(field, `must be a whole number; got ${v}.`);
    if (rule.min !== undefined && (rule.minExclusive ? v <= rule.min : v < rule.min))
      this.fail(field, `must be ${rule.minExclusive ? 'greater than' : 'at least'} ${rule.min}; got ${v}.`);
    if (rule.max !== undefined && v > rule.max) this.fail(field, `must be at most ${rule.max}; got ${v}.`);
    return v;
  }

  string(field: string): string {
    const v = this.value(field);
    if (typeof v !== 'string' || v.length === 0)
      this.fail(field, `is required: a non-empty string; got ${describeValue(v)}.`);
    return v;
  }

  /** A list of distinct, non-empty column names; undefined when absent (meaning "the default"). */
  columns(field = 'columns'): string[] | undefined {
    const v = this.value(field);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0)
      this.fail(
        field,
        `must be a non-empty list of column names; got ${describeValue(v)}. Omit it for the default.`,
      );
    const seen = new Set<string>();
    for (const name of v) {
      if (typeof name !== 'string' || name.length === 0)
        this.fail(field, `must list column names as non-empty strings; got ${describeValue(name)}.`);
      if (seen.has(name)) this.fail(field, `lists "${name}" twice; list each column once.`);
      seen.add(name);
    }
    return [...seen];
  }

  /** Rejects fields that no reader asked for (typos, options of another transform). */
  finish(): void {
    for (const field of Object.keys(this.raw)) {
      if (this.known.has(field)) continue;
      const allowed = [...this.known];
      const suggestion = closestName(field, allowed);
      this.fail(
        field,
        `is not a parameter of ${this.transform}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} ` +
          `Parameters: ${allowed.length > 0 ? allowed.join(', ') : '(none)'}.`,
      );
    }
  }
}
