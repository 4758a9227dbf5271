/**
 * Human-friendly durations for options: `'500ms'`, `'10s'`, `'10m'`, `'12h'`, `'30d'`, `'1w'`.
 * @module
 */

/**
 * A duration with its unit: `'500ms'`, `'10s'`, `'10m'`, `'12h'`, `'30d'`, `'1w'`, or `0`.
 * A bare number other than `0` is refused: `600` reads as seconds to a jsonwebtoken user and as
 * milliseconds to a `setTimeout` user, and either guess is a silent bug.
 */
export type Duration = 0 | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/

/** The same duration written with its unit, for the message refusing a bare number. */
function withUnit(value: number): string {
  if (value % 60 === 0 && value >= 60) return `'${value / 60}m' (if you meant seconds)`
  return `'${value}s' (if you meant seconds) or '${value}ms'`
}

/**
 * Converts a {@link Duration} to milliseconds, throwing a `TypeError` that names `option` when the
 * value is not a non-negative duration with a unit (options are validated at creation, never
 * later). A bare number other than `0` is refused with a message saying how to write it.
 *
 * @example parseDuration('10m', 'accessTokenTtl') // 600000
 */
export function parseDuration(value: unknown, option: string): number {
  if (value === 0) return 0
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    throw new TypeError(
      `The \`${option}\` option must be a duration with its unit, such as ${withUnit(value)}: a bare number is ambiguous (seconds or milliseconds?).`,
    )
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2]!]!
      if (Number.isFinite(ms)) return Math.floor(ms)
    }
  }
  throw new TypeError(
    `The \`${option}\` option must be a non-negative duration with its unit, such as '500ms', '10s', '10m', '12h', '30d' or '1w'.`,
  )
}
