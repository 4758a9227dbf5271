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
  /**
   * Re-read the front token (and reschedule the proactive refresh) when the tab gets focus,
   * becomes visible or comes back online. Defaults to `true`.
   */
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

const isFn = (v: unknown) => typeof v === 'function'
const isName = (v: unknown) => typeof v === 'string' && v !== ''
const isMs = (v: number) => Number.isFinite(v) && v >= 0
const FN = [isFn, 'a function'] as const
const NAME = [isName, 'a non-empty string'] as const

// option: [test, what it must be]; checked only when the option is given. The message says both,
// as the README promises, tersely: every byte here ships in the minimal import.
const CHECKS: { [K in keyof SessionClientOptions]?: readonly [(value: any) => unknown, string] } = {
  apiBase: [(v) => isName(v) && (!/^[a-z][a-z\d+.-]*:/i.test(v) || parseUrl(v)), 'a URL or path'],
  basePath: [(v) => typeof v === 'string' && /^\/[\w\-./~%]*$/.test(v), 'a path from /'],
  transport: [(v) => v === 'cookie' || v === 'header', "'cookie' or 'header'"],
  fetch: FN,
  now: FN,
  lock: FN,
  broadcast: FN,
  lockName: NAME,
  storageKey: NAME,
  storage: [(v) => isFn(v?.getItem) && isFn(v.setItem) && isFn(v.removeItem), 'a Storage'],
  refreshTimeout: [(v) => v > 0 && isMs(v), 'ms > 0'],
  proactiveRefresh: [(v) => v === false || isMs(v), 'ms >= 0 or false'],
  maxReplays: [(v) => Number.isInteger(v) && v > 0 && v <= 10, '1 to 10'],
  syncOnFocus: [(v) => typeof v === 'boolean', 'a boolean'],
}

/** Validates the options and applies the defaults. Throws `InvalidOptionError` naming the option and what it must be. */
export function resolveOptions(options: SessionClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || !options) throw new InvalidOptionError('options', 'an object')
  const resolved: Record<string, unknown> = {
    basePath: '/auth/session',
    transport: 'cookie',
    now: () => Date.now(),
    lockName: 'latch-refresh',
    storageKey: 'latch',
    refreshTimeout: 10_000,
    proactiveRefresh: 30_000,
    maxReplays: 2,
    syncOnFocus: true,
    initialSession: options.initialSession,
  }
  for (const name in CHECKS) {
    const value = options[name as keyof SessionClientOptions]
    if (value !== undefined) {
      const [ok, requirement] = CHECKS[name as keyof SessionClientOptions]!
      if (!ok(value)) throw new InvalidOptionError(name, requirement)
      resolved[name] = value
    }
  }
  resolved.basePath = (resolved.basePath as string).replace(/\/+$/, '')
  return resolved as unknown as ResolvedOptions
}
