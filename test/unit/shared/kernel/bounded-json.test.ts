import { describe, expect, it } from 'vitest';
import { dataApiJsonBytes } from '../../../../shared/kernel/bounded-json';

/** The definition: JSON.stringify's text, each character counted as the Data API encodes it again. */
function bytesOfText(value: unknown): number {
  const text = JSON.stringify(value) ?? 'null';
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x20 || code > 0x7e) bytes += 6;
    else bytes += 1;
  }
  return bytes;
}

/** A seeded generator of JSON-ish values, awkward characters included. */
function randomValue(seed: number): unknown {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const chars = [
    'a',
    'Z',
    ' ',
    '"',
    '\\',
    '\n',
    '\t',
    '\u0001',
    '\u007f',
    'é',
    '日',
    '😀',
    '\ud800',
    '\udc00',
    '/',
  ];
  const text = () =>
    Array.from({ length: Math.floor(next() * 12) }, () => chars[Math.floor(next() * chars.length)]).join('');
  const leaf = (): unknown => {
    const pick = Math.floor(next() * 9);
    if (pick === 0) return text();
    if (pick === 1) return Math.round((next() - 0.5) * 1e6) / 7;
    if (pick === 2) return next() < 0.5;
    if (pick === 3) return null;
    if (pick === 4) return undefined;
    if (pick === 5) return new Date(Math.floor(next() * 2e12));
    if (pick === 6) return [Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21][Math.floor(next() * 4)];
    if (pick === 7) return () => 1;
    return Math.floor(next() * 1e9);
  };
  const build = (depth: number): unknown => {
    if (depth > 4 || next() < 0.3) return leaf();
    const size = Math.floor(next() * 5);
    if (next() < 0.5) return Array.from({ length: size }, () => build(depth + 1));
    return Object.fromEntries(Array.from({ length: size }, () => [text(), build(depth + 1)]));
  };
  return build(0);
}

describe('dataApiJsonBytes', () => {
  it.each<[string, unknown]>([
    ['a string with quotes, backslashes and controls', 'a"b\\c\nd\u0001e'],
    ['non-ASCII, astral and lone surrogates', 'é日😀\ud800x\udc00'],
    ['numbers', [0, -0, 1.5, -2e-7, 1e21, Number.NaN, Number.NEGATIVE_INFINITY]],
    [
      'undefined, functions and symbols',
      { a: undefined, b: () => 1, c: Symbol('s'), d: [undefined, () => 1] },
    ],
    ['dates and toJSON', { at: new Date(0), custom: { toJSON: (key: string) => `key:${key}` } }],
    ['boxed primitives', [new String('x'), new Number(3), new Boolean(false)]],
    ['empty containers', { a: {}, b: [], c: [{}] }],
    ['top-level undefined', undefined],
  ])('counts %s as the text JSON.stringify writes', (_name, value) => {
    expect(dataApiJsonBytes(value)).toBe(bytesOfText(value));
  });

  it('agrees with the text on 500 random values', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const value = randomValue(seed);
      expect(dataApiJsonBytes(value), `seed ${seed}`).toBe(bytesOfText(value));
    }
  });

  it('measures a value nested 100,000 levels deep, which JSON.stringify cannot', () => {
    const levels = 100_000;
    const deep = JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(dataApiJsonBytes(deep)).toBe(2 * levels + 2);
  });

  it('calls each toJSON once, as JSON.stringify does', () => {
    const calls: string[] = [];
    const counted = (label: string) => ({
      toJSON: (key: string) => {
        calls.push(`${label}:${key}`);
        return calls.length % 2 === 1 ? 'odd' : 'an even call';
      },
    });
    const value = { a: counted('a'), list: [counted('b')], nested: { c: counted('c') } };
    const bytes = dataApiJsonBytes(value);
    expect(calls.sort()).toEqual(['a:a', 'b:0', 'c:c']);
    calls.length = 0;
    expect(bytes).toBe(bytesOfText(value));
  });

  it('refuses what JSON.stringify refuses', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => dataApiJsonBytes(cycle)).toThrow(TypeError);
    expect(() => dataApiJsonBytes({ n: 1n })).toThrow(TypeError);
    const shared = { x: 1 };
    expect(dataApiJsonBytes([shared, shared])).toBe(bytesOfText([shared, shared]));
  });
});
