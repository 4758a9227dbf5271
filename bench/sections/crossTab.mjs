// Section 5: the cross-tab figure comes from the browser end-to-end test (8 tabs × 20 calls after
// expiry, e2e/tests/manyTabs.test.ts), which asserts it rather than printing it. The bench does
// not rerun a browser: it reads the last vitest JSON report (`pnpm test:all` writes
// .tmp/test-results.json) and reports that test's outcome and date.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
export const CROSS_TAB_TEST = 'e2e/tests/manyTabs.test.ts'
// `pnpm test:all` writes the report here; LATCH_E2E_REPORT points at another vitest JSON report.
const REPORT = process.env.LATCH_E2E_REPORT ?? '.tmp/test-results.json'

export function readCrossTab() {
  const testFile = `${root}${CROSS_TAB_TEST}`
  const source = existsSync(testFile) ? readFileSync(testFile, 'utf8') : null
  const constant = (name) => Number(source?.match(new RegExp(`const ${name} = (\\d+)`))?.[1] ?? Number.NaN)
  const result = {
    testFile: CROSS_TAB_TEST,
    testExists: source !== null,
    tabs: constant('TABS'),
    callsPerTab: constant('CALLS_PER_TAB'),
    rounds: constant('ROUNDS'),
    // What the test asserts per round: at most one refresh request, exactly one successful.
    asserted: source
      ? /toBeLessThanOrEqual\(1\)/.test(source) && /delta\('200'\).*toBe\(1\)/.test(source)
      : false,
    report: null,
  }
  const reportFile = REPORT.startsWith('/') ? REPORT : `${root}${REPORT}`
  if (!existsSync(reportFile)) return result
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8'))
    const file = report.testResults?.find((t) => String(t.name).endsWith(CROSS_TAB_TEST))
    if (!file)
      return {
        ...result,
        report: { file: REPORT, date: statSync(reportFile).mtime.toISOString(), found: false },
      }
    const tests = file.assertionResults.map((a) => ({
      title: a.fullName ?? a.title,
      status: a.status,
      // The assertion that failed says what was measured (first line only: no stack).
      failure: a.failureMessages?.[0]?.split('\n', 1)[0]?.slice(0, 300) ?? null,
    }))
    return {
      ...result,
      report: {
        file: REPORT,
        date: statSync(reportFile).mtime.toISOString(),
        found: true,
        tests,
        passed: tests.length > 0 && tests.every((t) => t.status === 'passed'),
      },
    }
  } catch (err) {
    return { ...result, report: { file: REPORT, error: String(err?.message ?? err) } }
  }
}
