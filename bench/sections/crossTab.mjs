// Section 5: the cross-tab figure comes from the browser end-to-end suite (8 tabs × 20 calls
// after each forced expiry, e2e/src/crossTabSuite.ts, run in Chromium, Firefox and WebKit by
// e2e/tests/engine.*.test.ts), which asserts it rather than printing it. The bench does not
// rerun a browser: it reads the last vitest JSON report (`pnpm test:all` writes
// .tmp/test-results.json) and reports the storm tests' outcome per engine and the report's date.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
export const CROSS_TAB_SUITE = 'e2e/src/crossTabSuite.ts'
export const CROSS_TAB_TEST = 'e2e/tests/engine.*.test.ts'
const ENGINE_FILE = /e2e\/tests\/engine\.(\w+)\.test\.ts$/
// `pnpm test:all` writes the report here; LATCH_E2E_REPORT points at another vitest JSON report.
const REPORT = process.env.LATCH_E2E_REPORT ?? '.tmp/test-results.json'

export function readCrossTab() {
  const suiteFile = `${root}${CROSS_TAB_SUITE}`
  const source = existsSync(suiteFile) ? readFileSync(suiteFile, 'utf8') : null
  const constant = (name) => Number(source?.match(new RegExp(`const ${name} = (\\d+)`))?.[1] ?? Number.NaN)
  const result = {
    testFile: CROSS_TAB_TEST,
    testExists: source !== null,
    tabs: constant('TABS'),
    callsPerTab: constant('CALLS'),
    rounds: constant('ROUNDS'),
    // What the suite asserts per round: one refresh request answered 200 under Web Locks, and
    // one rotation (every tab on the next generation) under either lock.
    asserted: source
      ? /toEqual\(\{ 200: 1 \}\)/.test(source) && /generation === generation \+ 1/.test(source)
      : false,
    report: null,
  }
  const reportFile = REPORT.startsWith('/') ? REPORT : `${root}${REPORT}`
  if (!existsSync(reportFile)) return result
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8'))
    const files = (report.testResults ?? []).filter((t) => ENGINE_FILE.test(String(t.name)))
    if (files.length === 0)
      return {
        ...result,
        report: { file: REPORT, date: statSync(reportFile).mtime.toISOString(), found: false },
      }
    const tests = files.flatMap((file) =>
      file.assertionResults
        .filter((a) => /tabs × \d+ calls/.test(a.fullName ?? a.title))
        .map((a) => ({
          title: `${String(file.name).match(ENGINE_FILE)[1]}: ${a.fullName ?? a.title}`,
          status: a.status,
          // The assertion that failed says what was measured (first line only: no stack).
          failure: a.failureMessages?.[0]?.split('\n', 1)[0]?.slice(0, 300) ?? null,
        })),
    )
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
