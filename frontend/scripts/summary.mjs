// Prints Vitest's result as one closing line CI can read, and fails when a test failed.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(new URL('../test-results/vitest.json', import.meta.url), 'utf8'))
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0)
console.log(`vitest: ${passed} passed, ${failed} failed`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
