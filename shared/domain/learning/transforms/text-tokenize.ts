/**
 * Splits text columns into words (text-words.ts), lower-cased, drops the stop words of the text's
 * language and words shorter than `minLength`, and writes the words back joined by one space, so
 * that the TF-IDF transform (or any text step) reads them. The language is named, or detected on
 * the training rows (`auto`, the default); the stop words in use are part of the fitted state, so
 * prediction drops exactly the words training dropped.
 */
import { getColumn, type StringColumn, type Table } from '../table';
import { ParamsReader } from './params-reader';
import { selectColumns } from './select-columns';
import { detectLanguage, LANGUAGE_NAMES, STOP_WORD_LANGUAGES, STOP_WORDS, wordTokens } from './text-words';
import { expectKind, mapColumns, type FitContext, type TransformState } from './transform-state';

const NAME = 'text_tokenize';
const LANGUAGES = ['auto', 'none', ...STOP_WORD_LANGUAGES] as const;

export interface TextTokenizeParams {
  readonly columns?: readonly string[];
  /** `auto` (detect on the training rows), `none` (keep stop words) or an ISO 639-3 code. */
  readonly language?: string;
  readonly removeStopWords?: boolean;
  /** More words to drop, whatever the language. */
  readonly extraStopWords?: readonly string[];
  readonly minLength?: number;
  readonly lowercase?: boolean;
}

export interface TextTokenizeState extends TransformState {
  readonly kind: 'text_tokenize';
  readonly format: 1;
  readonly columns: readonly string[];
  /** The language whose stop words are dropped (`und` when it could not be told, `none`). */
  readonly language: string;
  readonly stopWords: readonly string[];
  readonly minLength: number;
  readonly lowercase: boolean;
}

export function fitTextTokenize(
  table: Table,
  params: TextTokenizeParams,
  context: FitContext = {},
): TextTokenizeState {
  const r: ParamsReader = new ParamsReader(NAME, params);
  const requested = r.columns();
  const languageParam = r.enumValue('language', LANGUAGES, 'auto');
  const removeStopWords = r.boolean('removeStopWords', true);
  const extra = r.value('extraStopWords');
  if (extra !== undefined && (!Array.isArray(extra) || !extra.every((w) => typeof w === 'string')))
    r.fail('extraStopWords', 'must be a list of words, e.g. ["film", "movie"].');
  const minLength = r.number('minLength', 1, { min: 1, max: 50, integer: true });
  const lowercase = r.boolean('lowercase', true);
  r.finish();
  const columns = selectColumns(table, requested, { transform: NAME, kinds: ['string'], context });
  let language: string = languageParam;
  if (languageParam === 'auto') language = detectLanguage(columns.flatMap((c) => c.values.slice(0, 2_000)));
  const stop = new Set<string>(removeStopWords ? (STOP_WORDS[language] ?? []) : []);
  for (const word of (extra as string[] | undefined) ?? []) stop.add(lowercase ? word.toLowerCase() : word);
  return {
    kind: 'text_tokenize',
    format: 1,
    columns: columns.map((c) => c.name),
    language,
    stopWords: [...stop].sort(),
    minLength,
    lowercase,
  };
}

/** The kept words of one text. */
export function tokenizeText(
  text: string,
  state: Pick<TextTokenizeState, 'lowercase' | 'minLength'>,
  stop: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const token of wordTokens(text)) {
    const word = state.lowercase ? token.toLowerCase() : token;
    if ([...word].length >= state.minLength && !stop.has(word)) out.push(word);
  }
  return out;
}

export function applyTextTokenize(state: TextTokenizeState, table: Table): Table {
  const targets = new Set(state.columns);
  for (const name of state.columns) expectKind(NAME, getColumn(table, name, NAME), ['string']);
  const stop = new Set(state.stopWords);
  return mapColumns(NAME, table, (column) => {
    if (!targets.has(column.name) || column.kind !== 'string') return [column];
    const tokenized: StringColumn = {
      ...column,
      values: column.values.map((v) => (v === null ? null : tokenizeText(v, state, stop).join(' '))),
    };
    return [tokenized];
  });
}

export function describeTextTokenize(state: TextTokenizeState): string {
  const language = LANGUAGE_NAMES[state.language] ?? state.language;
  return `Words of ${state.columns.map((c) => `"${c}"`).join(', ')}${state.lowercase ? ', lower-cased' : ''}, without ${state.stopWords.length} stop words (${language})${state.minLength > 1 ? ` and words under ${state.minLength} characters` : ''}.`;
}

export function textTokenizeWarnings(state: TextTokenizeState): string[] {
  return state.language === 'und'
    ? [
        'The language of the text could not be told (too little text): no stop words were removed. Name it with "language".',
      ]
    : [];
}
