// `npm run lint:types`: everything in eslint.config.js plus typescript-eslint's type-aware rules
// (recommended-type-checked: floating and misused promises, unsafe `any`, ...). Slower: it type-checks.
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'
import base from './eslint.config.js'

export default defineConfig([
  base,
  {
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
])
