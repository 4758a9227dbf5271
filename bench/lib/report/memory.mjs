// BENCHMARKS.md section: memory per session and verify-cache entry.
import { fixed, int, megabytes } from '../stats.mjs'
import { sectionError, table } from './shared.mjs'

export function memorySection(r) {
  const m = r.sections.memory
  if (!m) return sectionError(r, 'memory')
  const s = m.sessions
  const c = m.cache
  return [
    '## 6. Memory',
    '',
    'Each part in its own process started with `--expose-gc`; every reading follows full collections. *Heap* counts the V8 heap plus ArrayBuffer backing stores (`heapUsed + arrayBuffers`).',
    '',
    table(
      ['what', 'value'],
      [
        ['process RSS, manager + memory store, empty', megabytes(s.rssBefore)],
        [`process RSS with ${int(s.sessions)} live sessions in the memory store`, megabytes(s.rssAfter)],
        ['heap per stored session', `${int(s.bytesPerSession)} B`],
        [
          `process RSS, verify cache empty (${int(c.verified)} tokens held by the harness)`,
          megabytes(c.rssBefore),
        ],
        [
          `process RSS with a full verify cache (\`verifyCacheSize: ${c.cacheSize}\`${c.cacheSize === 200_000 ? ', the default' : ''})`,
          megabytes(c.rssAtSize),
        ],
        ['heap per cache entry', `${int(c.bytesPerEntry)} B`],
        [
          `heap growth while verifying ${int(c.verified - c.cacheSize)} more distinct tokens past the bound`,
          `${int(c.growthPastBound / 1000)} kB`,
        ],
        [
          `verify of the ${int(c.probe)} newest tokens (must be cache hits)`,
          `${fixed(c.newestVerifyUs, 1)} µs each`,
        ],
        [
          `verify of the ${int(c.probe)} oldest tokens (must have been evicted)`,
          `${fixed(c.oldestVerifyUs, 1)} µs each`,
        ],
        [
          'bound holds',
          c.boundHolds ? '✅ yes: the oldest entries were evicted, the newest still hit' : '❌ no',
        ],
      ],
    ),
    '',
    `- The 100 000 sessions are stored through the store interface as copies of a record the manager created (fresh ids and hashes), so the ` +
      "measurement is the store's footprint, not 100 000 signatures.",
    '- The manager exposes no metric for the cache size, so the bound is shown from outside: memory stops growing at the bound, ' +
      'and the oldest tokens cost a signature check again while the newest are hits.',
  ].join('\n')
}
