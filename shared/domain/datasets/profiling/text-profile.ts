import * as z from 'zod';
import { detectLanguage, LANGUAGE_NAMES, STOP_WORDS, wordTokens } from '../../learning/transforms/text-words';

/**
 * The text part of a text dataset version's profile: documents, empty and duplicate documents,
 * token counts with a length histogram, vocabulary size, top terms (stop words of the detected
 * language left out) and the language. Tokens are the words of `wordTokens`, lower-cased.
 */
export const textProfileSchema = z
  .object({
    documents: z.number().int(),
    emptyDocuments: z.number().int(),
    /** Documents whose text equals an earlier document's (empty ones not counted). */
    duplicateDocuments: z.number().int(),
    tokens: z.object({
      total: z.number().int(),
      mean: z.number(),
      median: z.number(),
      min: z.number().int(),
      max: z.number().int(),
    }),
    /** Documents by token count, in equal-width bins [lower, upper) (the last one closed). */
    lengthHistogram: z.array(z.object({ lower: z.number(), upper: z.number(), count: z.number().int() })),
    vocabularySize: z.number().int(),
    topTerms: z.array(z.object({ term: z.string(), count: z.number().int(), documents: z.number().int() })),
    language: z.object({ code: z.string(), name: z.string() }),
    /** Documents per label, most frequent first, when the table has labels. */
    labels: z.array(z.object({ label: z.string(), count: z.number().int() })).optional(),
  })
  .meta({ id: 'TextProfile' });
export type TextProfile = z.infer<typeof textProfileSchema>;

export const TEXT_PROFILE_DEFAULTS = { histogramBins: 20, topTerms: 25, labels: 100 } as const;

export function profileText(
  documents: readonly (string | null)[],
  labels?: readonly (string | null)[],
): TextProfile {
  const counts = new Int32Array(documents.length);
  const termCounts = new Map<string, number>();
  const termDocuments = new Map<string, number>();
  const seen = new Set<string>();
  let empty = 0;
  let duplicates = 0;
  let total = 0;
  for (let d = 0; d < documents.length; d += 1) {
    const text = documents[d] ?? null;
    const tokens = wordTokens(text);
    counts[d] = tokens.length;
    total += tokens.length;
    if (text === null || text.trim() === '') {
      empty += 1;
      continue;
    }
    if (seen.has(text)) duplicates += 1;
    else seen.add(text);
    const inDocument = new Set<string>();
    for (const token of tokens) {
      const term = token.toLowerCase();
      termCounts.set(term, (termCounts.get(term) ?? 0) + 1);
      inDocument.add(term);
    }
    for (const term of inDocument) termDocuments.set(term, (termDocuments.get(term) ?? 0) + 1);
  }
  const language = detectLanguage(documents);
  const stop = new Set(STOP_WORDS[language] ?? []);
  const topTerms = [...termCounts]
    .filter(([term]) => !stop.has(term))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TEXT_PROFILE_DEFAULTS.topTerms)
    .map(([term, count]) => ({ term, count, documents: termDocuments.get(term) ?? 0 }));
  const sorted = Int32Array.from(counts).sort();
  const n = sorted.length;
  const median =
    n === 0
      ? 0
      : n % 2 === 1
        ? (sorted[(n - 1) / 2] ?? 0)
        : ((sorted[n / 2 - 1] ?? 0) + (sorted[n / 2] ?? 0)) / 2;
  const profile: TextProfile = {
    documents: n,
    emptyDocuments: empty,
    duplicateDocuments: duplicates,
    tokens: {
      total,
      mean: n === 0 ? 0 : Math.round((total / n) * 1000) / 1000,
      median,
      min: n === 0 ? 0 : (sorted[0] ?? 0),
      max: n === 0 ? 0 : (sorted[n - 1] ?? 0),
    },
    lengthHistogram: histogram(sorted, TEXT_PROFILE_DEFAULTS.histogramBins),
    vocabularySize: termCounts.size,
    topTerms,
    language: { code: language, name: LANGUAGE_NAMES[language] ?? language },
  };
  if (labels) profile.labels = labelCounts(labels);
  return profile;
}

function histogram(sorted: Int32Array, bins: number): TextProfile['lengthHistogram'] {
  if (sorted.length === 0) return [];
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? 0;
  // Whole-token bins: never wider than needed, never more than `bins`.
  const width = Math.max(1, Math.ceil((hi - lo + 1) / bins));
  const count = Math.max(1, Math.ceil((hi - lo + 1) / width));
  const out = Array.from({ length: count }, (_, i) => ({
    lower: lo + i * width,
    upper: lo + (i + 1) * width,
    count: 0,
  }));
  for (const value of sorted) {
    const bin = out[Math.min(count - 1, Math.floor((value - lo) / width))];
    if (bin) bin.count += 1;
  }
  return out;
}

function labelCounts(labels: readonly (string | null)[]): NonNullable<TextProfile['labels']> {
  const byLabel = new Map<string, number>();
  for (const label of labels) if (label !== null) byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
  return [...byLabel]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TEXT_PROFILE_DEFAULTS.labels)
    .map(([label, count]) => ({ label, count }));
}
