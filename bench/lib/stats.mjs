// Small statistics and formatting helpers shared by the sections and the report.

/** Median of finite numbers (NaN for none). */
export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/** Smallest and largest finite value, for a "min–max" spread column. */
export function spread(values) {
  const xs = values.filter((v) => Number.isFinite(v))
  return xs.length ? { min: Math.min(...xs), max: Math.max(...xs) } : { min: Number.NaN, max: Number.NaN }
}

/** `1 234 567` style thousands (narrow no-break spaces read badly in some viewers: plain space). */
export function int(value) {
  if (!Number.isFinite(value)) return '—'
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

/** A number with `digits` decimals, or `—`. */
export function fixed(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : '—'
}

/** Nanoseconds shown in the most readable unit. */
export function duration(ns) {
  if (!Number.isFinite(ns)) return '—'
  if (ns < 1_000) return `${ns.toFixed(0)} ns`
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`
  return `${(ns / 1_000_000).toFixed(2)} ms`
}

/** Bytes in B / kB (1 kB = 1000 B, as size budgets are usually stated). */
export function bytes(n) {
  if (!Number.isFinite(n)) return '—'
  return n < 1000 ? `${n} B` : `${(n / 1000).toFixed(2)} kB`
}

/** MB (10^6 bytes) with one decimal. */
export function megabytes(n) {
  return Number.isFinite(n) ? `${(n / 1e6).toFixed(1)} MB` : '—'
}

/**
 * A verdict cell: `✅ 0.97 (≥ 0.95)` style. `better` is 'higher' or 'lower'.
 */
export function verdict(value, limit, better, format = (v) => fixed(v)) {
  if (!Number.isFinite(value)) return '⚠️ not measured'
  const ok = better === 'higher' ? value >= limit : value <= limit
  const ratio = value / limit
  const sign = better === 'higher' ? '≥' : '≤'
  return `${ok ? '✅ met' : '❌ missed'}: ${format(value)} vs ${sign} ${format(limit)} (×${ratio.toFixed(2)} of the limit)`
}
