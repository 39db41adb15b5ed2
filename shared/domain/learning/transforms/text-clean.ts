/**
 * Cleans text columns, the same way on training rows and on rows sent for prediction:
 * markup stripped (HTML/XML tags, with the contents of script and style elements, and character
 * references decoded), Unicode normalised (NFKC by default: compatibility forms such as ligatures
 * and full-width letters folded), accents optionally removed, lower-cased, and runs of white
 * space collapsed to one space. Missing stays missing. There is nothing to learn: the state is
 * the options.
 */
import { type StringColumn, type Table } from '../table';
import { ParamsReader } from './params-reader';
import { selectColumns } from './select-columns';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';
import { getColumn } from '../table';

const NAME = 'text_clean';
const NORMALIZATIONS = ['NFKC', 'NFC', 'NFKD', 'NFD', 'none'] as const;

export interface TextCleanOptions {
  readonly lowercase: boolean;
  readonly stripMarkup: boolean;
  readonly normalization: (typeof NORMALIZATIONS)[number];
  readonly stripAccents: boolean;
  readonly collapseWhitespace: boolean;
}

export interface TextCleanParams extends Partial<TextCleanOptions> {
  readonly columns?: readonly string[];
}

export interface TextCleanState extends TransformState {
  readonly kind: 'text_clean';
  readonly format: 1;
  readonly columns: readonly string[];
  readonly options: TextCleanOptions;
}

export function resolveTextCleanParams(raw: unknown): {
  columns: string[] | undefined;
  options: TextCleanOptions;
} {
  const r: ParamsReader = new ParamsReader(NAME, raw);
  const columns = r.columns();
  const options: TextCleanOptions = {
    lowercase: r.boolean('lowercase', true),
    stripMarkup: r.boolean('stripMarkup', true),
    normalization: r.enumValue('normalization', NORMALIZATIONS, 'NFKC'),
    stripAccents: r.boolean('stripAccents', false),
    collapseWhitespace: r.boolean('collapseWhitespace', true),
  };
  r.finish();
  return { columns, options };
}

export function fitTextClean(
  table: Table,
  params: TextCleanParams,
  context: FitContext = {},
): TextCleanState {
  const p = resolveTextCleanParams(params);
  const columns = selectColumns(table, p.columns, { transform: NAME, kinds: ['string'], context });
  return { kind: 'text_clean', format: 1, columns: columns.map((c) => c.name), options: p.options };
}

const NAMED_REFERENCES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

function decodeReferences(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_REFERENCES[body.toLowerCase()] ?? whole;
  });
}

/** One text, cleaned. */
export function cleanText(text: string, options: TextCleanOptions): string {
  let out = text;
  if (options.stripMarkup) {
    out = out
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<\/?[a-z][^>]*>/gi, ' ');
    out = decodeReferences(out);
  }
  if (options.normalization !== 'none') out = out.normalize(options.normalization);
  if (options.stripAccents) {
    out = out.normalize('NFD').replace(/\p{M}+/gu, '');
    if (options.normalization === 'NFC' || options.normalization === 'NFKC') out = out.normalize('NFC');
  }
  if (options.lowercase) out = out.toLowerCase();
  if (options.collapseWhitespace) out = out.replace(/\s+/gu, ' ').trim();
  return out;
}

export function applyTextClean(state: TextCleanState, table: Table): Table {
  const targets = new Set(state.columns);
  for (const name of state.columns) expectKind(NAME, getColumn(table, name, NAME), ['string']);
  return mapColumns(NAME, table, (column) => {
    if (!targets.has(column.name) || column.kind !== 'string') return [column];
    const cleaned: StringColumn = {
      ...column,
      values: column.values.map((v) => (v === null ? null : cleanText(v, state.options))),
    };
    return [cleaned];
  });
}

export function describeTextClean(state: TextCleanState): string {
  const o = state.options;
  const steps = [
    o.stripMarkup ? 'markup stripped' : '',
    o.normalization !== 'none' ? `Unicode ${o.normalization}` : '',
    o.stripAccents ? 'accents removed' : '',
    o.lowercase ? 'lower-cased' : '',
    o.collapseWhitespace ? 'white space collapsed' : '',
  ].filter((s) => s !== '');
  return `Cleaned text of ${state.columns.map((c) => `"${c}"`).join(', ')}: ${steps.join(', ') || 'unchanged'}.`;
}
