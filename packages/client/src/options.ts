/**
 * Options of `createSessionClient`, their defaults and their validation.
 * @module
 */
import type { BroadcastFactory } from './broadcast'
import { parseUrl } from './endpoints'
import { InvalidOptionError } from './errors'
import type { LockFn } from './locks/LockFn'
import type { StateStorage } from './storage'
import type { SessionInfo } from './types'

/** How tokens travel: httpOnly cookies (browsers) or headers (native apps, cookie-less setups). */
export type Transport = 'cookie' | 'header'

/** Options of `createSessionClient`. Every one is optional. */
export interface SessionClientOptions {
  /**
   * Where the API lives: an absolute URL (`https://api.example.com`) or a path resolved against
   * the page. Only requests to this origin get credentials, the CSRF header and refresh handling.
   * Defaults to the page's origin.
   */
  apiBase?: string
  /** Path of Latch's endpoints under `apiBase`. Defaults to `'/auth/session'`. */
  basePath?: string
  /** `'cookie'` (httpOnly cookies) or `'header'` (tokens in `storage`, `Authorization: Bearer`). Defaults to `'cookie'`. */
  transport?: Transport
  /** The fetch implementation. Defaults to the global `fetch`, looked up at each call. */
  fetch?: typeof fetch
  /** Clock in epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number
  /** The cross-tab lock. Defaults to Web Locks, else a localStorage lock, else an in-process lock. */
  lock?: LockFn
  /** Name of the refresh lock; tabs sharing a session must share it. Defaults to `'latch-refresh'`. */
  lockName?: string
  /**
   * Synchronous storage for the front token of a cross-origin API and, in header transport, the
   * tokens. Defaults to `localStorage` in cookie transport, an in-memory storage in header
   * transport (pass `localStorage` to share a header-mode session across tabs).
   */
  storage?: StateStorage
  /** Prefix of the keys the client writes into `storage`. Defaults to `'latch'`. */
  storageKey?: string
  /** Opens the channel to the other tabs. Defaults to a `BroadcastChannel` (storage events where missing; none without a window). */
  broadcast?: BroadcastFactory
  /** Milliseconds a refresh request may take before failing with `refresh_timeout`. Defaults to `10000`. */
  refreshTimeout?: number
  /**
   * Refresh this many milliseconds before the access token expires (at most half of its remaining
   * life), by one tab. `false` turns it off. Defaults to `30000`.
   */
  proactiveRefresh?: number | false
  /** How many times one call may be replayed after refreshes before failing with `refresh_loop`. Defaults to `2`. */
  maxReplays?: number
  /**
   * The session known from the server (SSR) for when the front token cannot be read (no document).
   * In a browser the front token wins. Defaults to none: the state stays `loading` until read.
   */
  initialSession?: SessionInfo | null
  /** Re-read the front token when the tab gets focus or becomes visible. Defaults to `true`. */
  syncOnFocus?: boolean
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  apiBase: string | undefined
  basePath: string
  transport: Transport
  fetch: typeof fetch | undefined
  now: () => number
  lock: LockFn | undefined
  lockName: string
  storage: StateStorage | undefined
  storageKey: string
  broadcast: BroadcastFactory | undefined
  refreshTimeout: number
  proactiveRefresh: number | false
  maxReplays: number
  initialSession: SessionInfo | null | undefined
  syncOnFocus: boolean
}

const isFn = (value: unknown) => value === undefined || typeof value === 'function'
const isString = (value: unknown) => value === undefined || (typeof value === 'string' && value !== '')
const isDuration = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0

/** Validates the options and applies the defaults. Throws `InvalidOptionError` naming the option. */
export function resolveOptions(options: SessionClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', 'an object')
  const o = options
  if (!isString(o.apiBase)) throw new InvalidOptionError('apiBase', 'a non-empty URL or path')
  if (o.apiBase !== undefined && /^[a-z][a-z\d+.-]*:/i.test(o.apiBase) && parseUrl(o.apiBase) === null) {
    throw new InvalidOptionError('apiBase', 'a valid absolute URL or a path')
  }
  const basePath = o.basePath ?? '/auth/session'
  if (typeof basePath !== 'string' || !/^\/[\w\-./~%]*$/.test(basePath)) {
    throw new InvalidOptionError('basePath', "a path starting with '/'")
  }
  if (o.transport !== undefined && o.transport !== 'cookie' && o.transport !== 'header') {
    throw new InvalidOptionError('transport', "'cookie' or 'header'")
  }
  for (const name of ['fetch', 'now', 'lock', 'broadcast'] as const) {
    if (!isFn(o[name])) throw new InvalidOptionError(name, 'a function')
  }
  if (!isString(o.lockName)) throw new InvalidOptionError('lockName', 'a non-empty string')
  if (!isString(o.storageKey)) throw new InvalidOptionError('storageKey', 'a non-empty string')
  if (
    o.storage !== undefined &&
    (typeof o.storage !== 'object' ||
      o.storage === null ||
      typeof o.storage.getItem !== 'function' ||
      typeof o.storage.setItem !== 'function' ||
      typeof o.storage.removeItem !== 'function')
  ) {
    throw new InvalidOptionError('storage', 'an object with getItem, setItem and removeItem')
  }
  const refreshTimeout = o.refreshTimeout ?? 10_000
  if (!isDuration(refreshTimeout) || refreshTimeout === 0) {
    throw new InvalidOptionError('refreshTimeout', 'a positive number of milliseconds')
  }
  const proactiveRefresh = o.proactiveRefresh ?? 30_000
  if (proactiveRefresh !== false && !isDuration(proactiveRefresh)) {
    throw new InvalidOptionError('proactiveRefresh', 'a number of milliseconds or false')
  }
  const maxReplays = o.maxReplays ?? 2
  if (!Number.isInteger(maxReplays) || maxReplays < 1 || maxReplays > 10) {
    throw new InvalidOptionError('maxReplays', 'an integer from 1 to 10')
  }
  if (o.syncOnFocus !== undefined && typeof o.syncOnFocus !== 'boolean') {
    throw new InvalidOptionError('syncOnFocus', 'a boolean')
  }
  return {
    apiBase: o.apiBase,
    basePath: basePath.replace(/\/+$/, ''),
    transport: o.transport ?? 'cookie',
    fetch: o.fetch,
    now: o.now ?? (() => Date.now()),
    lock: o.lock,
    lockName: o.lockName ?? 'latch-refresh',
    storage: o.storage,
    storageKey: o.storageKey ?? 'latch',
    broadcast: o.broadcast,
    refreshTimeout,
    proactiveRefresh,
    maxReplays,
    initialSession: o.initialSession,
    syncOnFocus: o.syncOnFocus ?? true,
  }
}
