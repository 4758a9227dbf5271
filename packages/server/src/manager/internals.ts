/**
 * What the package's adapter entry (`@latch/server/adapter`) needs of a manager beyond the
 * public {@link SessionManager}: the synchronous cached verify and the endpoints as a plain answer.
 * Applications get one way to do each thing (`verify`, `readSession`, `handle`); adapter authors
 * reach these two through the adapter entry's functions, which read them here.
 *
 * They hang off the manager under a registered symbol (`Symbol.for`), not a module-private
 * `WeakMap`: the CommonJS build bundles each entry whole, so `@latch/server` and
 * `@latch/server/adapter` may be two copies of this module, and a registered symbol is the same in both.
 * @module
 */
import type { LatchAnswer } from '../LatchAnswer.js'
import type { RequestContext } from '../ManagerCore.js'
import type { TokenKeyMemo, VerifiedSession } from '../tokens/accessToken.js'
import type { RequestLike } from '../transport/requestLike.js'

const INTERNALS = Symbol.for('@latch/server.manager')

/** See the module description. */
export interface ManagerInternals {
  /** `verify` from the verify cache alone: `undefined` when only `verify` can tell. Throws what `verify` rejects with. */
  verifyCached(request: RequestLike, memo?: TokenKeyMemo): VerifiedSession | undefined
  /** The endpoints' answer for any `RequestLike`, `null` for a path Latch does not serve. */
  answer(request: RequestLike, context?: RequestContext): Promise<LatchAnswer | null>
}

/** Puts `internals` on `manager`, not enumerable and read-only, so a log or a spread never shows them. */
export function attachInternals<T extends object>(manager: T, internals: ManagerInternals): T {
  Object.defineProperty(manager, INTERNALS, { value: internals })
  return manager
}

/**
 * The internals of a manager made by `createSessionManager`. Throws a `TypeError` naming
 * `caller` for anything else (a spread copy or a hand-made stand-in has none).
 */
export function internalsOf(sessions: unknown, caller: string): ManagerInternals {
  const internals =
    typeof sessions === 'object' && sessions !== null
      ? (sessions as { [INTERNALS]?: ManagerInternals })[INTERNALS]
      : undefined
  if (internals === undefined)
    throw new TypeError(
      `${caller} needs the session manager that createSessionManager() returned; a copy of it (such as \`{ ...sessions }\`) or a stand-in lacks what ${caller} reads.`,
    )
  return internals
}
