// Runs a browser test file once more when the browser under it crashed, and only then.
//
// A browser engine that dies mid-file (WebKitGTK's MiniBrowser dropping its WebDriver session, a
// Chromium or Firefox target that closes) fails every test left in that file with the same
// "session gone" error. That says nothing about Latch, and on these shared machines it happens:
// once in about ten WebKit runs here. A file qualifies only when it is a browser test file and
// every one of its failures is such an error; an assertion failure anywhere, or a failure in any
// other file, means no rerun at all. A qualifying file runs once more; its second result replaces
// the first in the report (the summary then counts that), and the crash is listed by
// `scripts/summary.mjs` under "rerun after a browser crash", so a log never hides one.
//
// Usage: node scripts/rerun-browser-crashes.mjs <report.json>
// Exit 0 when every failure of the report was such a crash and its rerun passed; 1 otherwise.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'

/** Errors that mean the browser or its driver went away, not that a check failed. */
const CRASH =
  /invalid session id|UND_ERR_(CLOSED|SOCKET)|Target page, context or browser has been closed|Browser has been closed|browser has disconnected|Target closed|Connection closed|Session closed/i
/** Where the browser test files live. */
const BROWSER_FILE = /^(e2e\/tests|examples\/next\/e2e)\//

const reportFile = process.argv[2]
if (!reportFile) {
  console.error('usage: node scripts/rerun-browser-crashes.mjs <report.json>')
  process.exit(1)
}
let report
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'))
} catch {
  process.exit(1)
}

const fileOf = (suite) => relative(process.cwd(), String(suite.name ?? ''))
const failuresOf = (suite) => {
  const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed')
  const messages = failed.flatMap((test) => test.failureMessages ?? [''])
  return suite.status === 'failed' && failed.length === 0 ? [String(suite.message ?? '')] : messages
}
const failing = (report.testResults ?? []).filter((suite) => suite.status === 'failed')
const crashed = failing.filter(
  (suite) => BROWSER_FILE.test(fileOf(suite)) && failuresOf(suite).every((message) => CRASH.test(message)),
)
// Nothing failed (not this script's case), or some failure is not a crash: no rerun.
if (failing.length === 0 || crashed.length !== failing.length) process.exit(1)

const files = crashed.map(fileOf)
const projects = [...new Set(files.map((file) => (file.startsWith('examples/next/') ? 'next' : 'e2e')))]
const rerunFile = reportFile.replace(/\.json$/, '-rerun.json')
console.log(`› rerun after a browser crash: ${files.join(', ')}`)
spawnSync(
  'pnpm',
  [
    'exec',
    'vitest',
    'run',
    ...projects.flatMap((project) => ['--project', project]),
    ...files,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${rerunFile}`,
  ],
  { stdio: 'inherit' },
)
let rerun
try {
  rerun = JSON.parse(readFileSync(rerunFile, 'utf8'))
} catch {
  process.exit(1)
}

// The second results replace the first, file by file; the counts are made again from the files.
const again = new Map((rerun.testResults ?? []).map((suite) => [fileOf(suite), suite]))
report.testResults = report.testResults.map((suite) => again.get(fileOf(suite)) ?? suite)
const tests = report.testResults.flatMap((suite) => suite.assertionResults ?? [])
const count = (status) => tests.filter((test) => test.status === status).length
Object.assign(report, {
  numTotalTests: tests.length,
  numPassedTests: count('passed'),
  numFailedTests: count('failed'),
  numPendingTests: count('pending') + count('skipped'),
  numTodoTests: count('todo'),
  numFailedTestSuites: report.testResults.filter((suite) => suite.status === 'failed').length,
  rerunAfterCrash: crashed.map((suite) => ({
    file: fileOf(suite),
    firstTry: String(failuresOf(suite)[0]).split('\n', 1)[0].slice(0, 240),
  })),
})
report.success = report.numFailedTests === 0 && report.numFailedTestSuites === 0
writeFileSync(reportFile, JSON.stringify(report))
process.exit(report.success ? 0 : 1)
