/**
 * English named entities — people, places, organisations — found by compromise, a rule-based
 * tagger (a lexicon of names plus word-shape and context rules), not a trained statistical
 * model: it knows common first names, titles, place names and organisation suffixes
 * ("Inc", "University", "Bank"), and misses what its rules do not cover. Its precision, recall
 * and F1 on the labelled sentences of test/fixtures/text/entities.json are measured by a test
 * and stated in the README.
 */
import nlp from 'compromise';

export const ENTITY_TYPES = ['person', 'place', 'organization'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface Entity {
  type: EntityType;
  text: string;
}

const EDGE_PUNCTUATION = /^[\s"'“”‘’([{]+|[\s"'“”‘’.,;:!?)\]}]+$/gu;

function tidy(text: string): string {
  return text.replace(EDGE_PUNCTUATION, '').replace(/['’]s$/u, '');
}

export function extractEntities(text: string | null): Entity[] {
  if (text === null || text.trim() === '') return [];
  const doc = nlp(text);
  const found: Entity[] = [];
  const add = (type: EntityType, names: string[]) => {
    for (const name of names) {
      const clean = tidy(name);
      if (clean !== '') found.push({ type, text: clean });
    }
  };
  add('person', doc.people().out('array') as string[]);
  add('place', doc.places().out('array') as string[]);
  add('organization', doc.organizations().out('array') as string[]);
  return found;
}

export interface EntityScores {
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  predicted: number;
  expected: number;
}

function scores(tp: number, predicted: number, expected: number): EntityScores {
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = expected === 0 ? 0 : tp / expected;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, predicted, expected };
}

/**
 * Exact-match scores (same type, same text ignoring case) over documents, per type and over all
 * types (micro-averaged), as named-entity evaluations count them.
 */
export function scoreEntities(
  expected: readonly (readonly Entity[])[],
  predicted: readonly (readonly Entity[])[],
): Record<EntityType | 'all', EntityScores> {
  const counts = new Map<string, { tp: number; predicted: number; expected: number }>();
  const bump = (type: string, field: 'tp' | 'predicted' | 'expected') => {
    for (const key of [type, 'all']) {
      const c = counts.get(key) ?? { tp: 0, predicted: 0, expected: 0 };
      c[field] += 1;
      counts.set(key, c);
    }
  };
  expected.forEach((gold, d) => {
    const remaining = gold.map((e) => `${e.type}\u0000${e.text.toLowerCase()}`);
    for (const e of gold) bump(e.type, 'expected');
    for (const p of predicted[d] ?? []) {
      bump(p.type, 'predicted');
      const at = remaining.indexOf(`${p.type}\u0000${p.text.toLowerCase()}`);
      if (at >= 0) {
        remaining.splice(at, 1);
        bump(p.type, 'tp');
      }
    }
  });
  const of = (key: string) => {
    const c = counts.get(key) ?? { tp: 0, predicted: 0, expected: 0 };
    return scores(c.tp, c.predicted, c.expected);
  };
  return { person: of('person'), place: of('place'), organization: of('organization'), all: of('all') };
}
