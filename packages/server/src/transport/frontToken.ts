/**
 * The front token: what browser code may read about the session (never a token or secret).
 * `base64url(JSON.stringify({ uid, sid, exp, gen, cl?, bnd? }))`, `exp` in seconds (docs/contract.md);
 * `cl` holds the claims named in the `publicClaims` option, when the session has any.
 * @module
 */

/** The front-token payload. */
export interface FrontToken {
  /** User id. */
  uid: string
  /** Session id. */
  sid: string
  /** Access-token expiry, seconds since the epoch. */
  exp: number
  /** Refresh generation: 0 at creation, +1 per rotation. */
  gen: number
  /** The session's public claims (the `publicClaims` option), absent when there are none. */
  cl?: Record<string, unknown>
  /**
   * `1` when the session is bound to a key (bound refresh), absent otherwise: the browser's
   * binding entry learns from it that a missing key means the session cannot refresh.
   */
  bnd?: 1
}

/**
 * The front-token payload of a session whose access token expires at `accessExpiresAt` (ms),
 * with the claims named in `publicClaims` (only those; the others stay server-side).
 */
export function frontTokenFor(
  record: { userId: string; id: string; claims: Record<string, unknown>; binding?: string | null },
  accessExpiresAt: number,
  generation: number,
  publicClaims: readonly string[],
): FrontToken {
  const front: FrontToken = {
    uid: record.userId,
    sid: record.id,
    exp: Math.floor(accessExpiresAt / 1000),
    gen: generation,
  }
  const cl: Record<string, unknown> = {}
  for (const name of publicClaims) if (Object.hasOwn(record.claims, name)) cl[name] = record.claims[name]
  if (Object.keys(cl).length > 0) front.cl = cl
  if (record.binding) front.bnd = 1
  return front
}

/** Encodes a front token for the cookie and the `x-latch-front-token` header. */
export function encodeFrontToken(front: FrontToken): string {
  return Buffer.from(JSON.stringify(front), 'utf8').toString('base64url')
}

/**
 * The generation named by an encoded front token (the front cookie a browser sends along), or
 * `undefined` for anything that is not one. Only a hint (rule 1b reads the store before acting on
 * it), so the payload's other fields are not checked.
 */
export function frontTokenGeneration(value: string): number | undefined {
  if (value.length > 4096) return undefined
  try {
    const gen = (JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as FrontToken | null)?.gen
    return Number.isSafeInteger(gen) && gen! >= 0 ? gen : undefined
  } catch {
    return undefined
  }
}
