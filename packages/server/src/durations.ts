/**
 * Human-friendly durations for options: `'10s'`, `'10m'`, `'12h'`, `'30d'`, or milliseconds.
 * @module
 */

/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'10s'`, `'10m'`, `'12h'`, `'30d'`, `'1w'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/

/**
 * Converts a {@link Duration} to milliseconds, throwing a `TypeError` that names `option` when the
 * value is not a finite, non-negative duration (options are validated at creation, never later).
 *
 * @example parseDuration('10m', 'accessTokenTtl') // 600000
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value)
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2]!]!
      if (Number.isFinite(ms)) return Math.floor(ms)
    }
  }
  throw new TypeError(
    `The \`${option}\` option must be a non-negative number of milliseconds or a string such as '10s', '10m', '30d'.`,
  )
}
