import { defineConfig } from 'vitest/config';

// Handlers log JSON; tests keep output readable. The SDK's notice about its future Node 22 floor
// is for deployments (Lambda runs nodejs22.x), not for test runs on the development Node.
const testEnv = { PW_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

// Four suites, run together by `npm test` (or one at a time: `npx vitest run --project unit`).
export default defineConfig({
  test: {
    // Handlers and adapters print JSON logs; keep test output readable.
    env: testEnv,
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts'],
          env: testEnv,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          env: testEnv,
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
          env: testEnv,
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
          env: testEnv,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
