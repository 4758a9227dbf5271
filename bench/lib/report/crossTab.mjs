// BENCHMARKS.md section: cross-tab refresh.
import { sectionError, table } from './shared.mjs'

export function crossTabSection(r) {
  const c = r.sections.crosstab
  if (!c) return sectionError(r, 'crosstab')
  const lines = [
    '## 5. Cross-tab refresh',
    '',
    `The figure comes from the browser end-to-end test \`${c.testFile}\` (real Chromium, ${c.tabs} tabs × ${c.callsPerTab} calls ` +
      `after the access token expired, ${c.rounds} rounds, with Web Locks and with the localStorage fallback). The test ` +
      `${c.asserted ? 'with Web Locks **asserts** at most one refresh request and exactly one successful refresh per expiry; with the localStorage fallback (no compare-and-swap, writes reach other tabs asynchronously) it asserts one rotation per expiry, a second request with the same token being answered the same successor within the reuse grace' : 'does not assert the refresh count'}, ` +
      'counted by the demo server, and no theft verdict. It writes no figure file, so the bench does not rerun a browser; it reads the last ' +
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
      `Report of ${c.report.date}: refresh requests per expiry with Web Locks = **${c.report.passed ? '1 (asserted ≤ 1, exactly 1 successful)' : 'see the failing test'}**.`,
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
