/**
 * A manager's start and stop: the refresh-token secret, the key ring and the revocation list are
 * loaded once in the background; a failed start (store down) is retried by the next call that
 * needs it instead of failing forever; `close` stops the key-sync timer and the subscriptions.
 * @module
 */
import { toBase64Url } from '../encoding.js'
import type { KeyRing } from '../keys/keyRing.js'
import type { ResolvedOptions } from '../options.js'
import type { RevocationList } from '../revocation/revocationList.js'
import { createRefreshTokens, REFRESH_MAC_SECRET_NAME, type RefreshTokens } from '../tokens/refreshToken.js'

/** See the module description. */
export interface Lifecycle {
  /** Resolves once started (see `SessionManager.ready`); never rejects unhandled. */
  readonly ready: Promise<void>
  /** Resolves the refresh-token codec once started, starting again after a failed start. */
  started(): Promise<RefreshTokens>
  /** Started already: the hot paths check this instead of awaiting `started`. */
  isStarted(): boolean
  /** Stops the key-sync timer and the revocation list's subscription. */
  close(): Promise<void>
}

/** Starts loading at once; see the module description. */
export function startLifecycle(
  options: ResolvedOptions,
  keys: KeyRing,
  revocations: RevocationList,
): Lifecycle {
  let refreshTokens: RefreshTokens | null = null
  let starting: Promise<RefreshTokens> | null = null
  let timer: ReturnType<typeof setInterval> | null = null
  let closed = false

  const start = async (): Promise<RefreshTokens> => {
    const secret = await options.store.getOrCreateSecret(
      REFRESH_MAC_SECRET_NAME,
      toBase64Url(options.random(32)),
    )
    await keys.sync()
    await revocations.start()
    refreshTokens = createRefreshTokens(secret, options.random)
    if (!closed) {
      // Verify-only instances still learn new keys; a failed sync keeps the keys already loaded.
      timer = setInterval(() => keys.sync().catch(() => {}), options.keySyncInterval)
      timer.unref?.()
    }
    return refreshTokens
  }
  const started = (): Promise<RefreshTokens> => {
    if (refreshTokens) return Promise.resolve(refreshTokens)
    starting ??= start().catch((error) => {
      starting = null
      throw error
    })
    return starting
  }
  const ready = started().then(() => undefined)
  ready.catch(() => {}) // reported through the calls that need it, not as an unhandled rejection

  return {
    ready,
    started,
    isStarted: () => refreshTokens !== null,
    async close() {
      closed = true
      if (timer) clearInterval(timer)
      timer = null
      await revocations.stop()
    },
  }
}
