/**
 * A minimal Latch server for msw, following docs/contract.md: access tokens `a<gen>`, refresh
 * tokens `r<gen>`, front token in the `x-latch-front-token` header (and cookie), errors marked
 * with `x-latch-error`. Cookies travel through {@link cookieJarFetch} because Node's fetch keeps
 * none. Test-only.
 */
import { HttpResponse, http } from 'msw'
import type { StateStorage } from '../storage'

export const API = 'http://api.test'
export const OTHER = 'http://other.test'

/** Encodes a front token the way the server does: base64url(JSON). */
export function frontTokenFor(gen: number, exp: number, sid = 'sid-1', uid = 'alice'): string {
  return Buffer.from(JSON.stringify({ uid, sid, exp: Math.floor(exp / 1000), gen })).toString('base64url')
}

/** Answers with a Latch error. */
export function latchError(status: number, code: string, headers: Record<string, string> = {}) {
  return HttpResponse.json(
    { error: code, message: code },
    { status, headers: { 'x-latch-error': code, ...headers } },
  )
}

export interface FakeServerState {
  gen: number
  sid: string
  /** The access token the API accepts, `null` once expired. */
  validAccess: string | null
  refreshCalls: number
  /** What the next refreshes answer. */
  refreshMode: 'ok' | 'network' | 'store_unavailable' | 'session_expired' | 'token_theft_detected' | 'bare401'
  accessTtlMs: number
  now: () => number
  /** Requests seen by the protected routes (method, url, headers). */
  seen: Request[]
}

/** A token carried by cookie (cookie mode) or `Authorization: Bearer` (header mode). */
function accessOf(request: Request): string | null {
  const auth = request.headers.get('authorization')
  if (auth?.startsWith('Bearer ')) return auth.slice(7)
  const match = /(?:^|;\s*)latch-access=([^;]*)/.exec(request.headers.get('cookie') ?? '')
  return match?.[1] ?? null
}

export function fakeLatchServer(now: () => number = () => Date.now()) {
  const state: FakeServerState = {
    gen: 0,
    sid: 'sid-1',
    validAccess: 'a0',
    refreshCalls: 0,
    refreshMode: 'ok',
    accessTtlMs: 60_000,
    now,
    seen: [],
  }
  const front = () => frontTokenFor(state.gen, state.now() + state.accessTtlMs, state.sid)
  const sessionHeaders = (header: boolean): Record<string, string> => {
    const token = front()
    if (header) {
      return {
        'x-latch-front-token': token,
        'x-latch-access-token': `a${state.gen}`,
        'x-latch-refresh-token': `r${state.gen}`,
      }
    }
    return { 'x-latch-front-token': token }
  }
  const setCookies = (response: Response) => {
    response.headers.append('set-cookie', `latch-access=a${state.gen}; Path=/; HttpOnly`)
    response.headers.append('set-cookie', `latch-refresh=r${state.gen}; Path=/auth/session; HttpOnly`)
    response.headers.append('set-cookie', `latch-front=${front()}; Path=/`)
    return response
  }
  const protectedRoute = async (request: Request) => {
    // Kept with its body read now: Node 24's fetch closes the body of a request answered without
    // reading it, after which a clone taken here could no longer be read by the test.
    const copy = request.clone()
    const body = copy.body ? await copy.arrayBuffer() : null
    const { url, method, headers, credentials } = copy
    state.seen.push(new Request(url, { method, headers, credentials, body }))
    if (accessOf(request) !== state.validAccess || state.validAccess === null)
      return latchError(401, 'try_refresh')
    return null
  }

  const handlers = [
    http.post(`${API}/auth/session/refresh`, async ({ request }) => {
      state.refreshCalls++
      const header = request.headers.get('x-latch-transport') === 'header'
      if (!header && request.headers.get('x-latch-csrf') !== '1') return latchError(403, 'csrf_failed')
      switch (state.refreshMode) {
        case 'network':
          return HttpResponse.error()
        case 'store_unavailable':
          return latchError(503, 'store_unavailable', { 'retry-after': '2' })
        case 'bare401':
          return HttpResponse.json({ error: 'proxy says no' }, { status: 401 })
        case 'session_expired':
        case 'token_theft_detected':
          return latchError(401, state.refreshMode, { 'x-latch-front-token': 'remove' })
      }
      state.gen++
      state.validAccess = `a${state.gen}`
      const response = HttpResponse.json({ session: null }, { headers: sessionHeaders(header) })
      return header ? response : setCookies(response)
    }),
    http.post(`${API}/auth/session/signout`, () =>
      HttpResponse.json({ ok: true }, { headers: { 'x-latch-front-token': 'remove' } }),
    ),
    http.post(`${API}/login`, ({ request }) => {
      state.sid = 'sid-2'
      state.validAccess = `a${state.gen}`
      const header = request.headers.get('x-latch-transport') === 'header'
      const response = HttpResponse.json({ userId: 'alice' }, { headers: sessionHeaders(header) })
      return header ? response : setCookies(response)
    }),
    http.get(`${API}/api/me`, async ({ request }) => {
      return (await protectedRoute(request)) ?? HttpResponse.json({ userId: 'alice', gen: state.gen })
    }),
    http.all(`${API}/api/echo`, async ({ request }) => {
      const denied = await protectedRoute(request)
      if (denied) return denied
      return HttpResponse.json({
        method: request.method,
        contentType: request.headers.get('content-type'),
        body: await request.text(),
      })
    }),
  ]
  return { state, handlers, front }
}

/** Storage pre-filled with a front token at `gen`, as if signed in (cross-origin/header mode). */
export function signedInStorage(storage: StateStorage, front: string, header = false, gen = 0): StateStorage {
  storage.setItem('latch.front', front)
  if (header) {
    storage.setItem('latch.access', `a${gen}`)
    storage.setItem('latch.refresh', `r${gen}`)
  }
  return storage
}

/** A shared in-memory "BroadcastChannel" between simulated tabs. */
export function broadcastBus() {
  const members = new Set<(message: any) => void>()
  const factory = () => {
    let mine: ((message: any) => void) | null = null
    return {
      post(message: any) {
        for (const member of members) if (member !== mine) member(structuredClone(message))
      },
      subscribe(listener: (message: any) => void) {
        mine = listener
        members.add(listener)
        return () => members.delete(listener)
      },
      close() {
        if (mine) members.delete(mine)
      },
    }
  }
  const postForged = (message: unknown) => {
    for (const member of members) member(message)
  }
  return { factory, postForged }
}

/** A fetch with a cookie jar for the API origin, like a browser's (Node's fetch keeps no cookies). */
export function cookieJarFetch(jar: Map<string, string>): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    if (new URL(request.url).origin === API && request.credentials === 'include' && jar.size > 0) {
      request.headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const response = await globalThis.fetch(request)
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const value = pair!.slice(eq + 1)
      if (/max-age=0/i.test(line)) jar.delete(name)
      else jar.set(name, value)
    }
    return response
  }
}

/** A fetch that records a copy of every request it sends, then sends it through `next`. */
export function recordingFetch(sent: Request[], next: typeof fetch): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    sent.push(request.clone())
    return next(request)
  }
}
