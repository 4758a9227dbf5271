/**
 * Test helpers (not part of the package): a fake clock, a cookie jar that behaves like a browser
 * for path-scoped cookies, and a store factory for running one scenario on every single-node store.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSessionManager, type SessionManager } from '../src/createSessionManager.js'
import type { SessionManagerOptions } from '../src/SessionManagerOptions.js'
import { memoryStore } from '../src/stores/memory.js'
import type { SessionStore } from '../src/stores/SessionStore.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { VerifiedSession } from '../src/tokens/accessToken.js'

/** A clock that moves only when told. */
export function fakeClock(start = Date.UTC(2025, 0, 1)) {
  let time = start
  return {
    now: () => time,
    advance(ms: number) {
      time += ms
    },
  }
}

/** The single-node stores, each with a cleanup. */
export const STORES: [string, () => { store: SessionStore; cleanup: () => Promise<void> }][] = [
  [
    'memory',
    () => {
      const store = memoryStore()
      return { store, cleanup: () => store.close() }
    },
  ],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'latch-server-'))
      // The tests run on a fake clock years in the past: a sweep on the real clock would delete
      // sessions the tests consider live, so it is off here (the store has its own sweep tests).
      const store = sqliteStore({ path: join(dir, 'sessions.db'), sweepIntervalMs: 0 })
      return {
        store,
        cleanup: async () => {
          await store.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  ],
]

/** A browser-like cookie jar: honours Path and Max-Age=0, nothing else is needed here. */
export class CookieJar {
  readonly cookies = new Map<string, { value: string; path: string }>()

  absorb(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim())
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const path = attributes.find((a) => a.startsWith('Path='))?.slice(5) ?? '/'
      if (attributes.includes('Max-Age=0')) this.cookies.delete(name)
      else this.cookies.set(name, { value: pair!.slice(eq + 1), path })
    }
  }

  header(path: string): string {
    return [...this.cookies]
      .filter(([, cookie]) => path === cookie.path || path.startsWith(`${cookie.path.replace(/\/$/, '')}/`))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ')
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value
  }

  /** The generation named by the front cookie, `undefined` without one. */
  generation(): number | undefined {
    const front = this.get('latch-front')
    return front === undefined ? undefined : JSON.parse(Buffer.from(front, 'base64url').toString()).gen
  }

  clone(): CookieJar {
    const copy = new CookieJar()
    for (const [name, cookie] of this.cookies) copy.cookies.set(name, { ...cookie })
    return copy
  }
}

/** A browser with its cookie jar, talking to a manager through `handle` / `verify`. */
export class Browser {
  constructor(
    readonly sessions: SessionManager,
    readonly jar = new CookieJar(),
    readonly origin = 'http://localhost',
  ) {}

  async signIn(userId: string, claims?: Record<string, unknown>) {
    const created = await this.sessions.create(new Request(`${this.origin}/login`, { method: 'POST' }), {
      userId,
      claims,
    })
    this.jar.absorb(created.headers)
    return created
  }

  request(path: string, init: { method?: string; csrf?: boolean; headers?: Record<string, string> } = {}) {
    const headers = new Headers(init.headers)
    const cookie = this.jar.header(path)
    if (cookie) headers.set('cookie', cookie)
    if (init.csrf !== false) headers.set('x-latch-csrf', '1')
    return new Request(`${this.origin}${path}`, { method: init.method ?? 'POST', headers })
  }

  /** `seenGeneration`: the generation the tab says it refreshes from (`?generation=`, rule 1b). */
  async refresh(init: { csrf?: boolean; seenGeneration?: number | string } = {}) {
    const request = this.request('/auth/session/refresh', init)
    const url =
      init.seenGeneration === undefined ? request.url : `${request.url}?generation=${init.seenGeneration}`
    const response = (await this.sessions.handle(new Request(url, request)))!
    this.jar.absorb(response.headers)
    return response
  }

  async signOut() {
    const response = (await this.sessions.handle(this.request('/auth/session/signout')))!
    this.jar.absorb(response.headers)
    return response
  }

  verify(method = 'GET') {
    return this.sessions.verify(this.request('/api/me', { method }))
  }

  /** A second browser holding a copy of this one's cookies (a thief, or a stale tab). */
  fork(): Browser {
    return new Browser(this.sessions, this.jar.clone(), this.origin)
  }
}

/** A manager on `store` with a fake clock and test-friendly defaults. */
export function managerOn(
  store: SessionStore,
  clock = fakeClock(),
  options: Partial<SessionManagerOptions> = {},
) {
  const sessions = createSessionManager({ store, now: clock.now, ...options })
  return { sessions, clock }
}

/** Verifies a bare access token the way an application does: `verify` with it as a Bearer header. */
export function verifyToken(sessions: SessionManager, token: string): Promise<VerifiedSession> {
  return sessions.verify(new Request('http://localhost/', { headers: { authorization: `Bearer ${token}` } }))
}
