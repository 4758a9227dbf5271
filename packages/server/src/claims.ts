/**
 * Application claims: what may go into an access token (JSON, no name Latch owns, within the
 * token's size bound), and the claims update that pushes a "stale" mark so every instance answers
 * the session's current access tokens `try_refresh` and the refresh issues the new claims.
 * Internal: the manager's `create`, `updateSessionClaims` and `updateUserClaims` use it.
 * @module
 */
import { type ManagerCore, withStore } from './ManagerCore.js'
import type { ResolvedOptions } from './options.js'
import type { SessionRecord, StaleMark } from './stores/SessionStore.js'
import { MAX_CLAIMS_VERSION, MAX_TOKEN_LENGTH, RESERVED_CLAIMS } from './tokens/accessToken.js'
import { newSessionId } from './tokens/refreshToken.js'

/** Claim names an application may not set (Latch's own, plus `typ`, which some verifiers read). */
export const RESERVED_CLAIM_NAMES: ReadonlySet<string> = new Set([...RESERVED_CLAIMS, 'typ'])

/** Deeper than this is refused: no token needs it, and a walk must not overflow the stack. */
const MAX_DEPTH = 32

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Why `value` is not JSON that round-trips, or `null` when it is. `seen` catches cycles. */
function notJson(value: unknown, path: string, seen: Set<object>, depth: number): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null
    case 'number':
      return Number.isFinite(value) ? null : `\`${path}\` is ${value}, which is not JSON`
    case 'object': {
      if (value === null) return null
      if (depth > MAX_DEPTH) return `\`${path}\` is nested deeper than ${MAX_DEPTH} levels`
      if (seen.has(value)) return `\`${path}\` is a cycle`
      if (!Array.isArray(value) && !isPlainObject(value))
        return `\`${path}\` is a ${value.constructor?.name ?? 'non-plain'} object, not a plain object`
      seen.add(value)
      const entries = Array.isArray(value)
        ? Array.from(value, (item, i) => [`${path}[${i}]`, item] as const)
        : Object.entries(value).map(([key, item]) => [`${path}.${key}`, item] as const)
      for (const [inner, item] of entries) {
        const problem = notJson(item, inner, seen, depth + 1)
        if (problem) return problem
      }
      seen.delete(value)
      return null
    }
    default:
      // undefined, function, symbol, bigint
      return `\`${path}\` is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, which is not JSON`
  }
}

/**
 * Checks application claims: a plain object of JSON values, no reserved name. Throws a
 * `TypeError` naming the problem (never the value).
 */
export function checkClaims(claims: unknown, label = 'claims'): asserts claims is Record<string, unknown> {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims) || !isPlainObject(claims)) {
    throw new TypeError(`\`${label}\` must be a plain object.`)
  }
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIM_NAMES.has(name))
      throw new TypeError(`\`${label}\` may not set \`${name}\`: Latch owns it.`)
  }
  const problem = notJson(claims, label, new Set(), 0)
  if (problem) throw new TypeError(`${problem}; claims must be JSON values.`)
}

/** Throws a `TypeError` when an access token of `userId`'s session with `claims` would exceed its bound. */
export function checkTokenSize(core: ManagerCore, userId: string, sessionId: string, claims: object): void {
  // The largest version a token may carry, so no later update can push it over the bound.
  const { token } = core.accessTokens.sign(
    userId,
    sessionId,
    claims as Record<string, unknown>,
    MAX_CLAIMS_VERSION,
  )
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new TypeError(
      `These claims make the access token ${token.length} characters long, over its ${MAX_TOKEN_LENGTH}-character bound; keep claims small (ids and roles, not documents).`,
    )
  }
}

/**
 * Builds the stale mark for a record as the store updated it: it names the record's new claims
 * version, and lasts as long as an access token issued before it can (plus the clock tolerance
 * twice: once for this instance's clock, once for the one that checks the mark).
 */
export function staleMarkFor(options: ResolvedOptions): (record: SessionRecord) => StaleMark {
  const now = options.now()
  const ttl = Math.max(options.accessTokenTtl, options.maxTokenAge) + 2 * options.clockTolerance
  return (record) => ({
    sessionId: record.id,
    userId: record.userId,
    version: record.claimsVersion,
    markedAt: now,
    expiresAt: now + ttl,
  })
}

/** `updateSessionClaims`: resolves whether the session exists. */
export async function updateSessionClaims(
  core: ManagerCore,
  sessionId: string,
  claims: Record<string, unknown>,
): Promise<boolean> {
  if (typeof sessionId !== 'string' || sessionId === '')
    throw new TypeError('`sessionId` must be a non-empty string.')
  checkClaims(claims)
  const copy = structuredClone(claims)
  await withStore(() => core.started())
  const { store } = core.options
  const record = await withStore(() => store.getSession(sessionId))
  if (!record) return false
  checkTokenSize(core, record.userId, record.id, copy)
  const made = await withStore(() => store.updateSessionClaims([sessionId], copy, staleMarkFor(core.options)))
  // Before the push comes back: this instance refuses the old tokens at once.
  core.revocations.addStale(made)
  return made.length > 0
}

/** `updateUserClaims`: resolves how many sessions were updated. */
export async function updateUserClaims(
  core: ManagerCore,
  userId: string,
  claims: Record<string, unknown>,
): Promise<number> {
  if (typeof userId !== 'string' || userId === '') throw new TypeError('`userId` must be a non-empty string.')
  checkClaims(claims)
  const copy = structuredClone(claims)
  await withStore(() => core.started())
  // Session ids all have one length, so one probe stands for every session of the user.
  checkTokenSize(core, userId, newSessionId(core.options.random), copy)
  const made = await withStore(() =>
    core.options.store.updateUserClaims(userId, copy, staleMarkFor(core.options)),
  )
  core.revocations.addStale(made)
  return made.length
}
