// Reads V8 .cpuprofile files and attributes self time to categories, so the report can say
// where a difference in cost comes from.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Loads the single .cpuprofile written to `dir` by `node --cpu-prof --cpu-prof-dir=dir`. */
export function readProfileDir(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile in ${dir}`)
  return JSON.parse(readFileSync(join(dir, file), 'utf8'))
}

/**
 * Self time (µs) per category. `categories` is `[[name, test(frameLabel)]]`, tried in order on
 * each sampled frame's "functionName url"; unmatched frames go to `otherName`. Idle time is
 * reported apart (it is waiting, not work).
 */
export function selfTimeByCategory(profile, categories, otherName) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const totals = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]).callFrame
    const label = `${frame.functionName} ${frame.url}`
    const name = label.startsWith('(idle)')
      ? '(idle)'
      : (categories.find(([, test]) => test(label))?.[0] ?? otherName)
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  return totals
}
