/**
 * latchKy against a real HTTP server (express on 127.0.0.1) implementing the contract minimally:
 * cookies really travel over the wire, in both directions, and the refresh rotates them.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionClient } from './createSessionClient'
import { latchKy } from './ky'
import { processLock } from './locks/processLock'
import { memoryStorage } from './storage'
import { frontTokenFor } from './test/fakeLatchServer'

const state = {
  gen: 0,
  validAccess: 'a0' as string | null,
  refreshCalls: 0,
  seenCsrf: [] as (string | undefined)[],
}
let base = ''
let close: () => Promise<void>

function cookies(header: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (header ?? '')
      .split(/;\s*/)
      .filter(Boolean)
      .map((p) => p.split('=') as [string, string]),
  )
}

beforeAll(async () => {
  const app = express()
  app.post('/auth/session/refresh', (req, res) => {
    state.refreshCalls++
    if (req.get('x-latch-csrf') !== '1') {
      res.status(403).set('x-latch-error', 'csrf_failed').json({ error: 'csrf_failed', message: 'csrf' })
      return
    }
    if (cookies(req.get('cookie'))['latch-refresh'] !== `r${state.gen}`) {
      res.status(401).set('x-latch-error', 'unauthorized').json({ error: 'unauthorized', message: 'no' })
      return
    }
    state.gen++
    state.validAccess = `a${state.gen}`
    const front = frontTokenFor(state.gen, Date.now() + 60_000)
    res.cookie('latch-access', `a${state.gen}`, { httpOnly: true, path: '/' })
    res.cookie('latch-refresh', `r${state.gen}`, { httpOnly: true, path: '/auth/session' })
    res.set('x-latch-front-token', front).json({ session: front })
  })
  app.use(express.json())
  app.all('/api/notes', (req, res) => {
    state.seenCsrf.push(req.get('x-latch-csrf'))
    if (state.validAccess === null || cookies(req.get('cookie'))['latch-access'] !== state.validAccess) {
      res.status(401).set('x-latch-error', 'try_refresh').json({ error: 'try_refresh', message: 'refresh' })
      return
    }
    res.status(req.method === 'POST' ? 201 : 200).json({ gen: state.gen, body: req.body ?? null })
  })
  const listener = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => listener.once('listening', () => resolve()))
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
  close = () => new Promise((resolve) => listener.close(() => resolve()))
})
afterAll(() => close())

/** Node's fetch has no cookie jar; this one behaves like a browser's for one origin. */
function browserLikeFetch(jar: Map<string, string>): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    if (request.credentials === 'include' && jar.size) {
      request.headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const response = await fetch(request)
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0]!.split('=') as [string, string]
      jar.set(name, value)
    }
    return response
  }
}

describe('latchKy against a real express server', () => {
  it('refreshes once for concurrent calls, replays them (json bodies too) whatever the retry limit', async () => {
    state.gen = 0
    state.validAccess = null // the access token has expired
    state.refreshCalls = 0
    const jar = new Map([
      ['latch-access', 'a0'],
      ['latch-refresh', 'r0'],
    ])
    const storage = memoryStorage()
    storage.setItem('latch.front', frontTokenFor(0, Date.now() + 60_000))
    const latch = createSessionClient({
      apiBase: base,
      storage,
      lock: processLock(),
      fetch: browserLikeFetch(jar),
      proactiveRefresh: false,
    })
    for (const limit of [0, 3]) {
      const api = latchKy(latch, { prefix: base, retry: { limit } })
      const results = await Promise.all([
        ...Array.from({ length: 20 }, () => api.get('api/notes').json<{ gen: number }>()),
        api.post('api/notes', { json: { text: 'note' } }).json<{ body: unknown }>(),
      ])
      expect(results.at(-1)).toMatchObject({ body: { text: 'note' } })
      state.validAccess = null
    }
    // One refresh per expiry (two expiries), never one per call.
    expect(state.refreshCalls).toBe(2)
    expect(jar.get('latch-refresh')).toBe('r2')
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 2 } })
    expect(new Set(state.seenCsrf)).toEqual(new Set(['1']))
    latch.destroy()
  })
})
