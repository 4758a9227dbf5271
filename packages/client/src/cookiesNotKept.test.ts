/**
 * A sign-in whose cookies the browser did not keep (its `Secure` cookies over plain HTTP on a
 * host other than localhost: a phone, a VM, Docker) answers 200 and leaves the client signed out.
 * `signIn` says so instead of staying silent.
 */
import { describe, expect, it, vi } from 'vitest'
import { API } from './test/fakeLatchServer'
import { signedInWorld, useMswServer } from './test/setup'

const server = useMswServer()

/** A page on the API's origin whose `document.cookie` shows the jar's readable front cookie. */
function sameOriginPage(jar: Map<string, string>) {
  vi.stubGlobal('location', new URL(`${API}/app`))
  vi.stubGlobal('document', {
    get cookie() {
      return jar.has('latch-front') ? `latch-front=${jar.get('latch-front')}` : ''
    },
    set cookie(line: string) {
      if (line.startsWith('latch-front=;')) jar.delete('latch-front')
    },
  })
}

describe('signIn when the browser drops the session cookies', () => {
  it('rejects cookies_not_kept after a 2xx sign-in that carried a session', async () => {
    const { jar, tab } = signedInWorld(server)
    jar.clear()
    sameOriginPage(jar)
    // The browser refuses every Set-Cookie of the answer, as it does for Secure cookies on http://.
    const dropping: typeof fetch = async (input, init) => globalThis.fetch(new Request(input, init))
    const latch = tab({ apiBase: undefined, fetch: dropping })
    expect(latch.getSnapshot().status).toBe('unauthenticated')
    const signingIn = latch.signIn(() => latch.fetch('/login', { method: 'POST' }))
    await expect(signingIn).rejects.toMatchObject({ name: 'LatchError', code: 'cookies_not_kept' })
    await expect(signingIn).rejects.toThrow('Cookies not kept (HTTPS?)')
    expect(latch.getSnapshot().status).toBe('unauthenticated')
  })

  it('resolves as usual when the cookies were kept, and for answers that made no session', async () => {
    const { jar, tab } = signedInWorld(server)
    jar.clear()
    sameOriginPage(jar)
    const latch = tab({ apiBase: undefined })
    const response = await latch.signIn(() => latch.fetch('/login', { method: 'POST' }))
    expect(response.status).toBe(200)
    expect(latch.getSnapshot()).toMatchObject({ status: 'authenticated', session: { sessionId: 'sid-2' } })
    // A wrong password (no front-token header) or a non-Response result is the app's business.
    await expect(latch.signIn(async () => new Response('{}', { status: 401 }))).resolves.toMatchObject({
      status: 401,
    })
    await expect(latch.signIn(async () => 42)).resolves.toBe(42)
  })
})
