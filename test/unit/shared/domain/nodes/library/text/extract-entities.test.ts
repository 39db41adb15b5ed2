import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  extractEntities,
  scoreEntities,
  type Entity,
  type EntityType,
} from '../../../../../../../shared/domain/nodes/library/text/extract-entities';
import { TEST_FIXTURES } from '../../../../../../support/repo-paths';

interface Fixture {
  documents: { text: string; entities: [EntityType, string][] }[];
}

const fixture = JSON.parse(readFileSync(path.join(TEST_FIXTURES, 'text/entities.json'), 'utf8')) as Fixture;

const round = (x: number) => Math.round(x * 1000) / 1000;

describe('English entities (rule-based)', () => {
  it('finds people, places and organisations in a sentence, without trailing punctuation', () => {
    expect(extractEntities('John Smith works for the United Nations in New York.')).toEqual([
      { type: 'person', text: 'John Smith' },
      { type: 'place', text: 'New York' },
      { type: 'organization', text: 'United Nations' },
    ]);
    expect(extractEntities('')).toEqual([]);
    expect(extractEntities(null)).toEqual([]);
  });

  it('scores exact matches per type and over all types', () => {
    const gold: Entity[][] = [
      [
        { type: 'person', text: 'Ada' },
        { type: 'place', text: 'Rome' },
      ],
    ];
    const found: Entity[][] = [
      [
        { type: 'person', text: 'ada' },
        { type: 'organization', text: 'Rome' },
      ],
    ];
    const s = scoreEntities(gold, found);
    expect(s.person).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(s.place).toMatchObject({ precision: 0, recall: 0, f1: 0, expected: 1 });
    expect(s.all).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it('has the precision, recall and F1 on the labelled fixture that the README states', () => {
    const gold = fixture.documents.map((d) => d.entities.map(([type, text]) => ({ type, text })));
    const found = fixture.documents.map((d) => extractEntities(d.text));
    const s = scoreEntities(gold, found);
    const summary = Object.fromEntries(
      Object.entries(s).map(([type, v]) => [
        type,
        { precision: round(v.precision), recall: round(v.recall), f1: round(v.f1) },
      ]),
    );
    expect(summary).toEqual(MEASURED);
  });
});

/** Measured on test/fixtures/text/entities.json with compromise 14.20.0 (the README quotes them). */
const MEASURED = {
  person: { precision: 0.833, recall: 0.714, f1: 0.769 },
  place: { precision: 0.957, recall: 1, f1: 0.978 },
  organization: { precision: 1, recall: 0.75, f1: 0.857 },
  all: { precision: 0.936, recall: 0.846, f1: 0.889 },
};
