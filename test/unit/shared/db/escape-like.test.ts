import { describe, expect, it } from 'vitest';
import { escapeLike } from '../../../../shared/db/escape-like';

describe('escapeLike', () => {
  it.each([
    ['plain text', 'sales 2026', 'sales 2026'],
    ['a percent sign', '100%', '100\\%'],
    ['an underscore', 'q1_report', 'q1\\_report'],
    ['a backslash', 'C:\\data', 'C:\\\\data'],
    ['all three', '%_\\', '\\%\\_\\\\'],
  ])('escapes %s so it matches only itself', (_name, input, expected) => {
    expect(escapeLike(input)).toBe(expected);
  });
});
