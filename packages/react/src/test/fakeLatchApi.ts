import type { Broadcast, BroadcastMessage } from '@latch/client'

/** Origin of the fake API; cross-origin to the jsdom page, so the client keeps the front token in storage. */
export const API = 'http://api.test'

type RefreshMode = 'ok' | 'token_theft_detected'

/** base64url(JSON) as in docs/contract.md "Front token". */
function frontToken(payload: { uid: string; sid: string; exp: number; gen: number }): string {
  return btoa(JSON.stringify(payload)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function latchError(code: string, extra: Record<string, string> = {}): Response {
  return Response.json(
    { error: code, message: code },
    { status: 401, headers: { 'x-latch-error': code, ...extra } },
  )
}

/**
 * A Latch API in header transport, as an injectable `fetch` for the real client: refresh rotates
 * (`a<gen>` / `r<gen>`), `/api/me` wants the current access token, and the refresh endpoint can be
 * told to answer theft. Test-only; follows docs/contract.md.
 */
export function fakeLatchApi() {
  const state = {
    gen: 0,
    refreshCalls: 0,
    refreshMode: 'ok' as RefreshMode,
    /** False: `/api/me` answers `try_refresh` whatever the token (the access token expired). */
    accessValid: true,
    accessTtlMs: 60_000,
  }

  const sessionHeaders = () => ({
    'x-latch-front-token': frontToken({
      uid: 'alice',
      sid: 'sid-1',
      exp: Math.floor((Date.now() + state.accessTtlMs) / 1000),
      gen: state.gen,
    }),
    'x-latch-access-token': `a${state.gen}`,
    'x-latch-refresh-token': `r${state.gen}`,
  })

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init)
    const { pathname } = new URL(request.url)
    const bearer = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? null
    if (request.method === 'POST' && pathname === '/auth/session/refresh') {
      state.refreshCalls++
      if (state.refreshMode !== 'ok' || bearer !== `r${state.gen}`) {
        return latchError(state.refreshMode === 'ok' ? 'unauthorized' : state.refreshMode, {
          'x-latch-front-token': 'remove',
        })
      }
      state.gen++
      state.accessValid = true
      return Response.json({ session: null }, { headers: sessionHeaders() })
    }
    if (request.method === 'POST' && pathname === '/auth/session/signout') {
      return Response.json({ ok: true }, { headers: { 'x-latch-front-token': 'remove' } })
    }
    if (pathname === '/api/me') {
      if (!state.accessValid || bearer !== `a${state.gen}`) return latchError('try_refresh')
      return Response.json({ userId: 'alice' })
    }
    return new Response('not found', { status: 404 })
  }

  /** Storage contents of a tab signed in at the current generation, access token expiring in `ttlMs`. */
  const signedInEntries = (ttlMs = state.accessTtlMs): Record<string, string> => {
    const headers = sessionHeaders()
    return {
      'latch.front': frontToken({
        uid: 'alice',
        sid: 'sid-1',
        exp: Math.floor((Date.now() + ttlMs) / 1000),
        gen: state.gen,
      }),
      'latch.access': headers['x-latch-access-token'],
      'latch.refresh': headers['x-latch-refresh-token'],
    }
  }

  return { state, fetch, signedInEntries }
}

/** An in-memory stand-in for BroadcastChannel between simulated tabs of one test. */
export function broadcastBus(): () => Broadcast {
  const members = new Set<(message: BroadcastMessage) => void>()
  return () => {
    let mine: ((message: BroadcastMessage) => void) | null = null
    return {
      post: (message) => {
        for (const member of [...members]) if (member !== mine) member(structuredClone(message))
      },
      subscribe: (listener) => {
        mine = listener
        members.add(listener)
        return () => members.delete(listener)
      },
      close: () => {
        if (mine) members.delete(mine)
      },
    }
  }
}
