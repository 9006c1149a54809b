// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.lab/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  // Imports flow one way (docs/architecture.md): the control client does not reach into the CLI, the
  // configuration does not depend on the engine; shared pieces live in src/common.
  {
    files: ['src/control/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../cli/*'] }] },
  },
  {
    files: ['src/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../engine/*'] }] },
  },
  // All time through the Clock (monotonic) or the WallClock (humans): tests drive virtual ones. The demo
  // and the simulator's process server measure and seed with real time on purpose.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/common/clock.ts', 'src/demo/**', 'src/sim/process/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'read the time through a WallClock (src/common/clock.ts)',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'read the time through a Clock (src/common/clock.ts)',
        },
      ],
    },
  },
);
