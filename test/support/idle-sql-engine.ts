import type { SqlEngine } from '../../shared/ports/sql-engine.port';

/** A SQL engine for nodes that use no SQL: every statement succeeds with no rows. */
export function idleSqlEngine(overrides: Partial<SqlEngine> = {}): SqlEngine {
  return {
    run: async () => undefined,
    all: async () => [],
    query: async () => [],
    describe: async () => [],
    columns: async () => [],
    loadTable: async () => undefined,
    interrupt: () => undefined,
    close: () => undefined,
    ...overrides,
  };
}
