// ESLint with typescript-eslint's type-aware rules; Prettier does the layout
// (.prettierrc.json). Why this pair and these settings: docs/contributing-lint.md.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'build/', 'prebuilds/', '.matrix/', '.tap/', 'bench/results/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      // One program for src, tests, bench and scripts (JS included), built
      // from tsconfig.json's settings: the types the rules see are tsc's.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // tap's t.test() returns a PromiseWithSubtest that tap itself waits on;
      // every other promise (execa's, our own async functions') must be handled.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
      // Numbers in messages are the norm (`pid ${pid}`); objects, undefined and
      // any in a template are still errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `(s) => this.deliver(s)` is how this code writes callbacks; the rule
      // still catches `const x = voidCall()` and `return voidCall()` in blocks.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `args[i] as Buffer` names the type the code expects; `args[i]!` says less.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // `env.X || undefined` deliberately treats an empty variable as unset.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // The probe's backends implement one async interface (Target,
      // ProcessView): the host's /proc answers at once where an engine's exec
      // is awaited, so some implementations have nothing to await. A promise
      // left unawaited is still caught by no-floating-promises.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests match tini's log lines verbatim: `[INFO  ts-init` has the level
      // padded to five columns, and `INFO {2}` would hide that.
      'no-regex-spaces': 'off',
      // tap 21 ends a subtest when its function's promise settles; a plain
      // function must call t.end(). So `async (t) =>` without an await is
      // the idiom here, not a forgotten await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Plain JavaScript has no annotations: the checker infers `any` or a
    // literal type from each initialiser, so the rules about unsafe `any` and
    // always-true conditions report noise there. The promise rules stay on.
    files: ['**/*.js', '**/*.cjs'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'off',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
