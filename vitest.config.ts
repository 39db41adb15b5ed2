import { defineConfig } from 'vitest/config';

// Four suites, run together by `npm test` (or one at a time: `npx vitest run --project unit`).
export default defineConfig({
  test: {
    // Handlers and adapters print JSON logs; keep test output readable.
    env: { PW_LOG_LEVEL: 'SILENT', POWERTOOLS_DEV: 'false' },
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts'],
          env: { PW_LOG_LEVEL: 'SILENT' },
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env: { PW_LOG_LEVEL: 'SILENT' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['test/e2e/**/*.test.ts'],
          env: { PW_LOG_LEVEL: 'SILENT' },
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'infra',
          sequence: { groupOrder: 3 },
          include: ['test/infra/**/*.test.ts'],
          env: { PW_LOG_LEVEL: 'SILENT' },
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
