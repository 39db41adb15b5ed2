import { describe, expect, it } from 'vitest';
import { modelFileName } from '../../../../../shared/domain/models/download-model';

describe('modelFileName', () => {
  it.each([
    ['model', 3, 'model-v3.json'],
    ['Churn model (EU)', 1, 'Churn-model-EU-v1.json'],
    ['café/../../etc "x"', 2, 'cafe-etc-x-v2.json'],
    ['✓✓✓', 4, 'model-v4.json'],
    ['.hidden', 1, 'hidden-v1.json'],
    ['iris.v2', 5, 'iris.v2-v5.json'],
    ['a'.repeat(300), 1, `${'a'.repeat(100)}-v1.json`],
  ])('%j version %i → %s', (name, version, expected) => {
    const fileName = modelFileName(name, version, 'json');
    expect(fileName).toBe(expected);
    expect(fileName).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  });
});
