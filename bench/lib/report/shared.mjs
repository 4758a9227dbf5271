// Targets and helpers shared by the sections of BENCHMARKS.md.
import { fixed } from '../stats.mjs'

export const HTTP_TARGET = 0.95

export const REFRESH_TARGETS = { sqlite: 5000 }

/** Redis refresh throughput relative to the memory store's in the same run (issue #10, item 4). */
export const REDIS_VS_MEMORY = 0.7

/** Node CPU per refresh with the memory store (issue #10, item 4). */
export const MEMORY_REFRESH_CPU_US = 100

/** Heap per verify-cache entry and the default bound (issue #10, item 1). */
export const CACHE_ENTRY_BYTES = 150

export const CACHE_BOUND_MIN = 100_000

/** Section 7: protected ÷ bare by req/s and by server CPU, per distinct-session count (issue #10, item 3). */
export const SCALE_TARGETS = [
  { count: 1, limit: 0.95 },
  { count: 100_000, limit: 0.93 },
]

export const ACCESS_TOKEN_LIMIT = 300

export const CLIENT_LIMIT = 5000

export const pct = (x) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : '—')

export const ratio = (x) => (Number.isFinite(x) ? `×${x.toFixed(2)}` : '—')

export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

export function machineLine(r) {
  const m = r.machine
  return (
    `${m.cores} × ${m.cpuModel} (a shared VM: other engineers' builds and tests run on the same cores), ` +
    `${m.memoryGB} GB RAM, ${m.platform}, Node ${m.node}; commit \`${m.commit ?? 'unknown'}\`` +
    `${m.dirty ? ' with uncommitted changes in packages/' : ''}.`
  )
}

/**
 * When the sections were measured by different runs (`--only` keeps the other sections' figures),
 * which run measured which: the machine and load lines above describe the last run only.
 */
export function sectionRunsNote(r) {
  const groups = new Map()
  for (const [name, run] of Object.entries(r.sectionRuns ?? {})) {
    if (!r.sections?.[name]) continue
    const key = `${run.byDate ? 'by ' : ''}${run.date?.slice(0, 16).replace('T', ' ')} UTC, commit \`${run.commit ?? 'unknown'}\`, ${run.cpuModel ?? 'unknown CPU'}, CPU busy ${pct(run.busy)} before`
    groups.set(key, [...(groups.get(key) ?? []), name])
  }
  if (groups.size < 2) return []
  return [
    "**Sections measured in separate runs** (the machine and load above are the last run's):",
    '',
    ...[...groups].map(([key, names]) => `- ${names.join(', ')}: ${key}`),
    '',
  ]
}

export function busyNote(r) {
  const before = r.busyBefore
  const after = r.busyAfter
  // The load average after the run counts the benchmark itself; CPU busy is sampled outside it.
  const busy = Math.max(before || 0, after || 0) > 0.25
  const head = `CPU busy (all cores, all processes) just before the run: **${pct(before)}**, just after: **${pct(after)}**; load average after: ${r.loadavgAfter?.map((x) => x.toFixed(1)).join(' / ')}.`
  return busy
    ? `${head} ⚠️ **The machine was busy with other work during this run**: absolute figures are depressed and noisy; the ratios (measured in the same interleaved rounds) are the figures to trust, and even they carry a few percent of noise.`
    : `${head} The machine was quiet enough for the absolute figures to be indicative.`
}

/**
 * The HTTP target counts as met only when both measures agree: the throughput ratio (what the
 * target is stated on, but noisy on a shared machine) and the server CPU-time ratio (steadier).
 */
export function httpMet(v) {
  return v.ratio >= HTTP_TARGET && v.cpuRatio >= HTTP_TARGET
}

export function httpVerdict(v) {
  const figures = `req/s ratio ${fixed(v.ratio)} (rounds ${fixed(v.ratioSpread.min)}–${fixed(v.ratioSpread.max)}), CPU-time ratio ${fixed(v.cpuRatio)}`
  if (httpMet(v)) return `✅ met: ${figures}`
  if (v.ratio < HTTP_TARGET && v.cpuRatio < HTTP_TARGET) {
    return `❌ missed: ${figures} (×${fixed(Math.max(v.ratio, v.cpuRatio) / HTTP_TARGET)} of the target at best)`
  }
  const likely = v.cpuRatio >= HTTP_TARGET ? 'likely met' : 'likely missed'
  return `⚠️ inconclusive, ${likely}: ${figures} — the two measures disagree; the steadier CPU-time ratio is ${v.cpuRatio >= HTTP_TARGET ? 'above' : 'below'} the target`
}

/** Both measures of one section-7 variant against a limit: met only when both are. */
export function scaleVerdict(v, limit) {
  if (!v) return '⚠️ not measured'
  const figures = `req/s ratio ${fixed(v.ratio)} (rounds ${fixed(v.ratioSpread.min)}–${fixed(v.ratioSpread.max)}), CPU-time ratio ${fixed(v.cpuRatio)}`
  if (v.ratio >= limit && v.cpuRatio >= limit) return `✅ met: ${figures}`
  if (v.ratio < limit && v.cpuRatio < limit)
    return `❌ missed: ${figures} (×${fixed(Math.max(v.ratio, v.cpuRatio) / limit)} of the target at best)`
  return `⚠️ one of two: ${figures}`
}

export const ms = (x) =>
  Number.isFinite(x) ? (x < 1000 ? `${fixed(x, 0)} ms` : `${fixed(x / 1000, 1)} s`) : '—'

export function sectionError(r, name) {
  return r.errors[name] ? `## ${name}\n\n❌ This section failed in this run: ${r.errors[name]}` : ''
}
