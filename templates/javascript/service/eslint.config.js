import js from '@eslint/js';
import globals from 'globals';

export default [
  // dist/ is the image's bundle (npm run build), .bundle-test-* the tests' copies of it.
  { ignores: ['node_modules/', 'coverage/', 'dist/', '.bundle-test-*/'] },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // Express error handlers need four parameters even when `next` is unused; a rest sibling
      // is how an object is copied without some of its fields.
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      'prefer-const': 'error',
    },
  },
  // Files that tools load with require(), such as PM2's ecosystem.config.cjs.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
];
