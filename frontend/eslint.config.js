// ESLint 9 flat config. `npm run lint` uses typescript-eslint's syntax-only `recommended` rules so it stays
// fast; `npm run lint:types` (eslint.typed.config.js) adds the type-aware `recommended-type-checked` rules,
// which build the TypeScript programs of both tsconfigs and more than double the run time.
//
// typescript-eslint needs TypeScript's JavaScript compiler API, which TypeScript 7.0 (the Go compiler) does
// not ship. package.json therefore uses TypeScript's documented side-by-side setup: `tsc` is TypeScript 7
// (the `@typescript/native` alias), while the `typescript` package is `@typescript/typescript6`, so the
// linter gets a TS 6 API. Drop the alias once typescript-eslint supports TypeScript 7.
import js from '@eslint/js'
import { defineConfig, globalIgnores } from 'eslint/config'
import jsxA11y from 'eslint-plugin-jsx-a11y'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig([
  // Generated code (scripts/gen_protocol_ts.py writes src/protocol.gen.ts) is not linted.
  globalIgnores(['dist/', 'coverage/', 'test-results/', 'node_modules/', 'src/**/*.gen.ts']),
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat.recommended, jsxA11y.flatConfigs.recommended],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['vite.config.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
])
