// ESLint for the window's ES modules (ui/), its node tests and the browser dev mock
// (tests/ui/); run by scripts/test beside clippy. Formatting is Prettier's job.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['target/', 'gen/', 'src-tauri/gen/', 'ui/vendor/'] },
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Same limit as Prettier's printWidth: Prettier cannot break long strings or comments.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
    },
  },
  { files: ['ui/**/*.js'], languageOptions: { sourceType: 'module', globals: globals.browser } },
  // The dev mock: classic scripts in a plain browser page, except mock-staff.js (a module).
  {
    files: ['tests/ui/dev/**/*.js'],
    ignores: ['tests/ui/dev/mock-staff.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  { files: ['tests/ui/dev/mock-staff.js'], languageOptions: { sourceType: 'module', globals: globals.browser } },
  { files: ['tests/ui/**/*.mjs', '*.js'], languageOptions: { sourceType: 'module', globals: globals.node } },
];
