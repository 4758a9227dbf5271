// BENCHMARKS.md section: cross-tab refresh.
import { sectionError, table } from './shared.mjs'

export function crossTabSection(r) {
  const c = r.sections.crosstab
  if (!c) return sectionError(r, 'crosstab')
  const lines = [
    '## 5. Cross-tab refresh',
    '',
    `The figure comes from the browser end-to-end suite \`e2e/src/crossTabSuite.ts\`, run by \`${c.testFile}\` in Chromium, Firefox ESR and WebKitGTK ` +
      `(${c.tabs} tabs × ${c.callsPerTab} calls after each forced expiry, ${c.rounds} rounds, with Web Locks and with the localStorage lock). The suite ` +
      `${c.asserted ? '**asserts** one rotation per expiry with either lock, and exactly one refresh request (answered 200) with Web Locks; with the localStorage lock (no compare-and-swap) a second tab now and then refreshes too, and is answered the same successor within the reuse grace (the same token) or the same token again (the newer token in the jar, from a tab that saw the older generation: rule 1b)' : 'does not assert the refresh count'}, ` +
      'counted by the demo server, every call 200, and no theft verdict. It writes no figure file, so the bench does not rerun a browser; it reads the last ' +
      'vitest JSON report (`pnpm test:all` writes `.tmp/test-results.json`).',
    '',
  ]
  if (c.report?.found) {
    lines.push(
      table(
        ['test', 'outcome'],
        c.report.tests.map((t) => [
          t.title,
          t.status === 'passed'
            ? '✅ passed'
            : `❌ ${t.status}${t.failure ? `: ${t.failure.replaceAll('|', '\\|')}` : ''}`,
        ]),
      ),
      '',
      `Report of ${c.report.date}: refresh requests per expiry with Web Locks in every engine = **${c.report.passed ? '1 (asserted)' : 'see the failing test'}**, rotations per expiry with either lock = **${c.report.passed ? '1 (asserted)' : 'see the failing test'}**.`,
    )
  } else {
    lines.push(
      table(
        ['figure', 'value'],
        [
          [
            `refresh requests per expiry, ${c.tabs} tabs × ${c.callsPerTab} calls`,
            `from e2e: see \`${c.testFile}\` (run \`pnpm test:all\`; no report at \`${c.report?.file ?? '.tmp/test-results.json'}\` when this ran)`,
          ],
        ],
      ),
    )
  }
  return lines.join('\n')
}
