import { HttpResponse, http } from 'msw'
import { describe, expect, it } from 'vitest'
import { API } from './test/fakeLatchServer'
import { signedInWorld, useMswServer } from './test/setup'

const server = useMswServer()

const form = (): FormData => {
  const data = new FormData()
  data.set('name', 'alice')
  data.set('file', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt')
  return data
}

describe('the replay after a refresh resends the body', () => {
  it.each([
    [
      'JSON string',
      () => JSON.stringify({ a: 1 }),
      (body: string) => expect(JSON.parse(body)).toEqual({ a: 1 }),
    ],
    ['text', () => 'plain text ✓', (body: string) => expect(body).toBe('plain text ✓')],
    [
      'URLSearchParams',
      () => new URLSearchParams({ q: 'x y', n: '1' }),
      (body: string) => expect(body).toBe('q=x+y&n=1'),
    ],
    [
      'Blob',
      () => new Blob(['blob-bytes'], { type: 'application/octet-stream' }),
      (body: string) => expect(body).toBe('blob-bytes'),
    ],
    [
      'ArrayBuffer',
      () => new TextEncoder().encode('buffer').buffer,
      (body: string) => expect(body).toBe('buffer'),
    ],
    [
      'FormData',
      form,
      (body: string) => {
        expect(body).toContain('name="name"\r\n\r\nalice')
        expect(body).toContain('filename="hello.txt"')
        expect(body).toContain('hello')
      },
    ],
  ] satisfies Array<[string, () => unknown, (body: string) => void]>)('%s', async (_, makeBody, check) => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    const response = await latch.fetch(`${API}/api/echo`, { method: 'POST', body: makeBody() as BodyInit })
    expect(response.status).toBe(200)
    const echoed = await response.json()
    expect(fake.state.refreshCalls).toBe(1)
    // The first send and the replay carried the same body.
    const [first, replay] = fake.state.seen
    expect(await replay!.text()).toBe(await first!.text())
    check(echoed.body)
  })

  it('replays a Request object given as input, keeping method and headers', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    const request = new Request(`${API}/api/echo`, {
      method: 'PUT',
      body: JSON.stringify({ b: 2 }),
      headers: { 'content-type': 'application/json' },
    })
    const echoed = await (await latch.fetch(request)).json()
    expect(echoed).toEqual({ method: 'PUT', contentType: 'application/json', body: '{"b":2}' })
  })

  it('fails with body_not_replayable for a ReadableStream body that needs a replay', async () => {
    const { fake, tab } = signedInWorld(server)
    const latch = tab()
    fake.state.validAccess = null
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    await expect(
      latch.fetch(`${API}/api/echo`, { method: 'POST', body, duplex: 'half' } as RequestInit),
    ).rejects.toMatchObject({ code: 'body_not_replayable', name: 'BodyNotReplayableError' })
    // The refresh itself still happened and the session is fine for the next call.
    expect(fake.state.refreshCalls).toBe(1)
    expect(latch.getSnapshot().status).toBe('authenticated')
  })

  it('sends a ReadableStream body once when no replay is needed', async () => {
    const { tab } = signedInWorld(server)
    const latch = tab()
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'))
        controller.close()
      },
    })
    const response = await latch.fetch(`${API}/api/echo`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect((await response.json()).body).toBe('once')
  })
})

describe('same-origin cookie mode', () => {
  it('reads the front token from the cookie and sees the refresh through it', async () => {
    const { fake, jar, tab } = signedInWorld(server)
    jar.set('latch-front', fake.front())
    // A page on the API's origin: the front cookie is readable through document.cookie.
    const { vi } = await import('vitest')
    vi.stubGlobal('location', new URL(`${API}/app`))
    vi.stubGlobal('document', {
      get cookie() {
        // Like a browser: httpOnly cookies are invisible to script.
        return jar.has('latch-front') ? `other=1; latch-front=${jar.get('latch-front')}` : 'other=1'
      },
      set cookie(line: string) {
        if (line.startsWith('latch-front=;')) jar.delete('latch-front')
      },
    })
    server.use(http.get(`${API}/relative`, () => HttpResponse.json({ ok: true })))
    const latch = tab({ apiBase: undefined })
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 0 } })
    fake.state.validAccess = null
    expect((await latch.fetch('/api/me')).status).toBe(200)
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { generation: 1 } })
    expect((await latch.fetch('/relative')).status).toBe(200)
    server.use(
      http.get(`${API}/api/gone`, () =>
        HttpResponse.json(
          { error: 'unauthorized' },
          { status: 401, headers: { 'x-latch-error': 'unauthorized' } },
        ),
      ),
    )
    await latch.fetch('/api/gone')
    // The local sign-out cleared the readable cookie, so every tab re-reading it agrees.
    expect(jar.has('latch-front')).toBe(false)
    expect(latch.getSnapshot().status).toBe('unauthenticated')
  })
})
