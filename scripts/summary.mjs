// Prints one line per test leg ("node v24.x: N passed, N failed, N skipped") and the plain
// closing line CI reads ("tests: N passed, N failed, N skipped", all legs together) from vitest's
// JSON reports, and fails when a report is missing, counts a failure, or counts no test at all.
// Failed tests and suites are listed first (name and the first line of the failure), so the tail
// of a CI log says what failed, not only how many; so are browser files that were run again after
// their browser crashed (`scripts/rerun-browser-crashes.mjs`).
//
// Usage: node scripts/summary.mjs <label>=<report.json> …   (a bare <report.json> has no leg line)
import { readFileSync } from 'node:fs'

let status = 0
const total = { passed: 0, failed: 0, skipped: 0 }
const lines = []
const failures = []

/** The first line of a failure message, shortened: enough to tell failures apart in a log tail. */
const firstLine = (message = '') => String(message).split('\n', 1)[0].slice(0, 240)
for (const arg of process.argv.slice(2)) {
  const at = arg.indexOf('=')
  const [label, file] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [null, arg]
  let report
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    report = { numFailedTestSuites: 1 }
    console.error(`no test report at ${file}: the runner did not finish`)
  }
  const passed = report.numPassedTests ?? 0
  // Failed tests, plus files that failed without a failed test (an import error, a failing hook):
  // vitest's `numFailedTestSuites` also counts every describe block around a failed test.
  const brokenFiles = (report.testResults ?? []).filter(
    (suite) =>
      suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length
  const failed =
    (report.numFailedTests ?? 0) + (report.testResults ? brokenFiles : (report.numFailedTestSuites ?? 0))
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  total.passed += passed
  total.failed += failed
  total.skipped += skipped
  if (failed > 0 || passed === 0) status = 1
  for (const suite of report.testResults ?? []) {
    const file = String(suite.name ?? '').replace(`${process.cwd()}/`, '')
    const failedTests = (suite.assertionResults ?? []).filter((test) => test.status === 'failed')
    for (const test of failedTests)
      failures.push(
        `${label ?? file}: FAIL ${file} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`,
      )
    if (suite.status === 'failed' && failedTests.length === 0)
      failures.push(`${label ?? file}: FAIL ${file} (suite): ${firstLine(suite.message)}`)
  }
  for (const { file: crashed, firstTry } of report.rerunAfterCrash ?? [])
    failures.push(`${label ?? file}: rerun after a browser crash: ${crashed} (first try: ${firstTry})`)
  if (label) lines.push(`${label}: ${passed} passed, ${failed} failed, ${skipped} skipped`)
}
if (process.argv.length <= 2) {
  console.error('usage: node scripts/summary.mjs <label>=<report.json> …')
  status = 1
}
for (const line of failures) console.log(line)
for (const line of lines) console.log(line)
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(status)
