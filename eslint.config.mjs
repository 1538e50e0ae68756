// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { workflowBundleFiles } from './eslint/workflow-bundle-files.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.temporal/', 'data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-console': 'error',
    },
  },
  {
    // Workflow code is replayed in a sandbox: it must not reach Node APIs, the worker's own modules or
    // non-deterministic sources. The rule covers every file the bundle pulls in, not only src/workflows/.
    files: [...new Set(['src/workflows/**/*.ts', ...workflowBundleFiles(import.meta.dirname)])],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: builtinModules
            .filter((name) => !name.startsWith('_'))
            .flatMap((name) => [name, `node:${name}`])
            .map((name) => ({ name, message: 'Workflow code must not use Node APIs.' })),
          patterns: [
            { group: ['node:*'], message: 'Workflow code must not use Node APIs.' },
            {
              group: [
                '**/activities',
                '**/activities/**',
                '**/config',
                '**/worker',
                '**/api/**',
                '**/temporal/dev-server',
                '**/temporal/runtime',
                '**/logger',
                '**/artifacts/**',
                '**/reports/**',
              ],
              allowTypeImports: true,
              message: 'Workflow code may import these for their types only (import type): their modules run I/O.',
            },
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', 'pg', 'undici', 'cockatiel', 'pino', 'zod'],
              allowTypeImports: true,
              message: 'Not available in the workflow sandbox (or not deterministic there).',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Workflows are replayed: randomness lives in activities.' },
      ],
    },
  },
  {
    files: ['scripts/**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
