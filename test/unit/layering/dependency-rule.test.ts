import path from 'node:path';
import { cruise, type ICruiseResult, type IFlattenedRuleSet } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_FIXTURES } from '../../support/repo-paths';

// The rule set `npm run lint` checks (there on the product tree, which must have no violation),
// applied here to a fixture tree that breaks each rule once.
const config = (await import(path.join(REPO_ROOT, '.dependency-cruiser.cjs'))) as {
  default: { forbidden: IFlattenedRuleSet['forbidden'] };
};

async function violationsIn(baseDir: string): Promise<Array<{ rule: string; from: string; to: string }>> {
  const { output } = await cruise(['shared', 'functions'], {
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.default.forbidden },
    tsPreCompilationDeps: true,
  });
  const result = output as ICruiseResult;
  return result.summary.violations.map((violation) => ({
    rule: violation.rule.name,
    from: violation.from,
    to: violation.to,
  }));
}

describe('the dependency rule', () => {
  it('fails on each kind of violation in the fixture tree', async () => {
    const violations = await violationsIn(path.join(TEST_FIXTURES, 'layering'));
    const found = (rule: string) =>
      violations.filter((v) => v.rule === rule).map((v) => `${v.from} → ${v.to}`);

    expect(found('kernel-imports-nothing-of-ours')).toEqual([
      'shared/kernel/clock.ts → shared/http/server.ts',
    ]);
    expect(found('base-imports-no-feature-or-edge')).toEqual([
      'shared/db/tables.ts → shared/domain/alpha/feature.ts',
    ]);
    expect(found('features-import-no-edge')).toEqual(
      expect.arrayContaining([
        'shared/domain/alpha/feature.ts → shared/adapters/client.ts',
        'shared/domain/beta/entry-user.ts → functions/api/handler.ts',
      ]),
    );
    expect(found('learning-is-pure')).toEqual(['shared/domain/learning/learner.ts → shared/db/tables.ts']);
    expect(found('shared-imports-no-entry-point')).toEqual([
      'shared/domain/beta/entry-user.ts → functions/api/handler.ts',
    ]);
    // alpha → beta (feature.ts → other.ts) and beta → alpha (other.ts → uses-tables.ts): no module
    // cycle, but the two folders import each other.
    expect(found('no-folder-cycles').length).toBeGreaterThan(0);
    expect(found('no-module-cycles')).toEqual([]);
  });
});
