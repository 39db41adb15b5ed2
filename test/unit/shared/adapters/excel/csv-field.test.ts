import { describe, expect, it } from 'vitest';
import {
  csvField,
  hasTimeOfDay,
  isoDate,
  plainDecimal,
  snapToSecond,
} from '../../../../../shared/adapters/excel/csv-field';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['Ann, B', '"Ann, B"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['  spaced  ', '  spaced  '],
    ['', ''],
  ])('%j → %j', (text, expected) => {
    expect(csvField(text)).toBe(expected);
  });
});

describe('plainDecimal', () => {
  it.each([
    [3, '3'],
    [-42, '-42'],
    [3.5, '3.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [4.4000000000000004, '4.4'],
    [1e-7, '0.0000001'],
    [-1.5e-9, '-0.0000000015'],
    [1e21, '1000000000000000000000'],
    [1.2345e22, '12345000000000000000000'],
    [-0, '0'],
  ])('%d → %s', (value, expected) => {
    expect(plainDecimal(value)).toBe(expected);
    expect(Number(plainDecimal(value))).toBe(value === 0 ? 0 : value);
  });
});

describe('dates', () => {
  it('writes a date without time as a calendar date and keeps milliseconds only when present', () => {
    const day = new Date(Date.UTC(2024, 0, 2));
    expect(hasTimeOfDay(day)).toBe(false);
    expect(isoDate(day, false)).toBe('2024-01-02');
    expect(isoDate(day, true)).toBe('2024-01-02T00:00:00');
    expect(isoDate(new Date(Date.UTC(2024, 0, 2, 10, 30, 5, 250)), true)).toBe('2024-01-02T10:30:05.250');
    expect(hasTimeOfDay(new Date(Date.UTC(1950, 5, 1, 12)))).toBe(true);
    expect(hasTimeOfDay(new Date(Date.UTC(1950, 5, 1)))).toBe(false);
  });

  it('snaps a time floored one millisecond short back to the whole second', () => {
    const eight = Date.UTC(2024, 0, 2, 8);
    expect(snapToSecond(new Date(eight - 1)).getTime()).toBe(eight);
    expect(snapToSecond(new Date(eight + 1)).getTime()).toBe(eight);
    expect(snapToSecond(new Date(eight - 250)).getTime()).toBe(eight - 250);
  });
});
