import { describe, expect, it } from 'vitest';
import {
  deduceColumn,
  schemaConfidence,
  SEMANTIC_TYPES,
  type ColumnEvidence,
} from '../../../../../../shared/domain/datasets/schema-deduction/deduce-schema';
import { LOGICAL_TYPES } from '../../../../../../shared/domain/datasets/profiling/profile-report';

function column(partial: Partial<ColumnEvidence['profile']> & { samples?: string[] }): ColumnEvidence {
  const { samples = [], ...profile } = partial;
  return {
    profile: {
      name: 'c',
      type: 'VARCHAR',
      kind: 'text',
      count: 100,
      missing: 0,
      approxDistinct: 100,
      min: null,
      max: null,
      ...profile,
    },
    samples,
  };
}

describe('schema deduction rules', () => {
  it.each([
    ['emails', { samples: ['a@x.io', 'b@y.org', 'c@z.com'] }, 'email', null],
    ['urls', { samples: ['https://a.io/x', 'http://b.org'] }, 'url', null],
    [
      'uuids',
      { samples: ['7c9e6679-7425-40de-944b-e07fc1f90ae7', '550e8400-e29b-41d4-a716-446655440000'] },
      'id',
      'uuid',
    ],
    ['yes/no', { samples: ['yes', 'no', 'Yes'], approxDistinct: 2 }, 'boolean', 'yes/no'],
    ['decimal commas', { samples: ['3,5', '1.234,75', '10,0'] }, 'float', 'decimal-comma'],
    ['ISO dates in text', { samples: ['2024-01-02', '2023-12-31'] }, 'date', '%Y-%m-%d'],
    ['few repeated labels', { samples: ['red', 'green', 'red'], approxDistinct: 3 }, 'categorical', null],
    ['unique short codes', { samples: ['AB12', 'CD34', 'EF56'] }, 'id', null],
    [
      'sentences',
      { samples: ['the quick brown fox', 'jumps over the lazy dog'], approxDistinct: 100 },
      'text',
      null,
    ],
  ])('text column of %s → %s', (_what, evidence, type, format) => {
    const deduced = deduceColumn(column(evidence));
    expect(deduced.type).toBe(type);
    expect(deduced.format).toBe(format);
    expect(deduced.confidence).toBeGreaterThan(0);
    expect(deduced.confidence).toBeLessThanOrEqual(1);
  });

  it('types numeric, boolean and temporal columns from the storage type', () => {
    expect(
      deduceColumn(column({ name: 'user_id', type: 'BIGINT', kind: 'numeric', min: 1, max: 100 })).type,
    ).toBe('id');
    expect(
      deduceColumn(
        column({ name: 'age', type: 'BIGINT', kind: 'numeric', approxDistinct: 60, min: 1, max: 90 }),
      ).type,
    ).toBe('integer');
    expect(
      deduceColumn(
        column({ name: 'flag', type: 'BIGINT', kind: 'numeric', approxDistinct: 2, min: 0, max: 1 }),
      ),
    ).toMatchObject({ type: 'boolean', format: '0/1' });
    expect(deduceColumn(column({ type: 'DOUBLE', kind: 'numeric' })).type).toBe('float');
    expect(deduceColumn(column({ type: 'BOOLEAN', kind: 'boolean' }))).toMatchObject({
      type: 'boolean',
      confidence: 1,
    });
    expect(
      deduceColumn({ ...column({ type: 'DATE', kind: 'temporal' }), dateFormat: '%d/%m/%Y' }),
    ).toMatchObject({ type: 'date', format: '%d/%m/%Y' });
    expect(deduceColumn(column({ type: 'TIMESTAMP', kind: 'temporal' })).type).toBe('timestamp');
  });

  it('marks columns with missing values nullable and keeps at most five distinct samples', () => {
    const deduced = deduceColumn(
      column({ missing: 3, samples: ['a', 'a', 'b', 'c', 'd', 'e', 'f'], approxDistinct: 6 }),
    );
    expect(deduced.nullable).toBe(true);
    expect(deduced.samples).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('has low confidence for a column with no values and averages confidence over columns', () => {
    const empty = deduceColumn(column({ count: 0, missing: 100, approxDistinct: 0 }));
    expect(empty.confidence).toBeLessThan(0.5);
    expect(schemaConfidence([empty, deduceColumn(column({ type: 'BOOLEAN', kind: 'boolean' }))])).toBeCloseTo(
      (empty.confidence + 1) / 2,
      2,
    );
  });
});

describe('integers and codes that encode dates', () => {
  const integers = (name: string, samples: string[]) =>
    deduceColumn(
      column({
        name,
        type: 'BIGINT',
        kind: 'numeric',
        approxDistinct: 100,
        min: Math.min(...samples.map(Number)),
        max: Math.max(...samples.map(Number)),
        samples,
      }),
    );

  it.each([
    ['date', ['19580329', '19580405', '20011231'], 'date', '%Y%m%d'],
    ['observed', ['19580329', '19580405', '20011231'], 'date', '%Y%m%d'],
    ['iso_week', ['202401', '202352', '202453'], 'date', '%G%V'],
    ['created_at', ['1700000000', '1600000000', '1500000000'], 'timestamp', 'epoch-seconds'],
    ['value', ['1700000000', '1600000000', '1500000000'], 'timestamp', 'epoch-seconds'],
    ['event_time', ['1700000000000', '1600000000000'], 'timestamp', 'epoch-milliseconds'],
  ])('%s %j → %s %s, below full confidence', (name, samples, type, format) => {
    const deduced = integers(name, samples);
    expect([deduced.type, deduced.format]).toEqual([type, format]);
    expect(deduced.confidence).toBeGreaterThan(0);
    expect(deduced.confidence).toBeLessThan(1);
  });

  it('leaves integers that are not valid dates as integers', () => {
    expect(integers('reading', ['19581332', '19580405']).type).toBe('integer');
    expect(integers('amount', ['202401', '202352']).type).toBe('integer');
    expect(integers('population', ['12000000', '3000000']).type).toBe('integer');
  });

  it('reads ISO week text as a date', () => {
    const deduced = deduceColumn(column({ samples: ['2024-W05', '2023-W52', '2024W01'], approxDistinct: 3 }));
    expect([deduced.type, deduced.format]).toEqual(['date', '%G-W%V']);
    expect(deduced.confidence).toBeLessThan(1);
  });
});

describe('one vocabulary of types', () => {
  it("names every profile type as the schema's types do", () => {
    for (const type of LOGICAL_TYPES) expect(SEMANTIC_TYPES).toContain(type);
  });
});
