import { HttpResponse, http } from 'msw'
import { describe, expect, it } from 'vitest'
import { latchKy } from './ky'
import { API, latchError } from './test/fakeLatchServer'
import { recordEvents, signedInWorld, useMswServer } from './test/setup'

const server = useMswServer()

describe('latchKy (msw)', () => {
  it.each([0, 2])(
    'refreshes once for 50 concurrent calls and replays them all with retry limit %i',
    async (limit) => {
      const { fake, tab } = signedInWorld(server)
      const api = latchKy(tab(), { prefix: API, retry: { limit } })
      fake.state.validAccess = null
      const bodies = await Promise.all(
        Array.from({ length: 50 }, () => api.get('api/me').json<{ gen: number }>()),
      )
      expect(fake.state.refreshCalls).toBe(1)
      expect(bodies.every((b) => b.gen === 1)).toBe(true)
    },
  )

  it('shares the in-flight refresh with the client’s own fetch', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    const api = latchKy(latch, { prefix: API })
    fake.state.validAccess = null
    const [a, b] = await Promise.all([api.get('api/me'), latch.fetch(`${API}/api/me`)])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('replays a json body', async () => {
    const { fake, tab } = signedInWorld(server)
    const api = latchKy(tab(), { prefix: API, retry: 0 })
    fake.state.validAccess = null
    const echoed = await api.post('api/echo', { json: { note: 'hi' } }).json<{ body: string }>()
    expect(JSON.parse(echoed.body)).toEqual({ note: 'hi' })
  })

  it('surfaces a refresh network error as the typed error and keeps the session', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    const api = latchKy(latch, { prefix: API, retry: 0 })
    fake.state.validAccess = null
    fake.state.refreshMode = 'network'
    await expect(api.get('api/me')).rejects.toMatchObject({ code: 'network_error' })
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('signs out on a refresh 401 and lets ky throw its HTTPError for the 401', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    const events = recordEvents(latch)
    const api = latchKy(latch, { prefix: API, retry: 0 })
    fake.state.validAccess = null
    fake.state.refreshMode = 'session_expired'
    await expect(api.get('api/me')).rejects.toMatchObject({ name: 'HTTPError', response: { status: 401 } })
    expect(latch.getSnapshot().status).toBe('unauthenticated')
    expect(events.map((e) => e.event)).toEqual(['signedOut'])
  })

  it('stops with refresh_loop instead of looping', async () => {
    const { fake, tab } = signedInWorld(server)
    server.use(http.get(`${API}/api/stuck`, () => latchError(401, 'try_refresh')))
    const api = latchKy(tab(), { prefix: API, retry: 5 })
    await expect(api.get('api/stuck')).rejects.toMatchObject({ code: 'refresh_loop' })
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('passes an app 401 without x-latch-error to ky untouched', async () => {
    const { fake, tab } = signedInWorld(server)
    server.use(
      http.post(`${API}/api/login`, () => HttpResponse.json({ error: 'bad password' }, { status: 401 })),
    )
    const api = latchKy(tab(), { prefix: API })
    const response = await api.post('api/login', { throwHttpErrors: false })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'bad password' })
    expect(fake.state.refreshCalls).toBe(0)
  })
})
