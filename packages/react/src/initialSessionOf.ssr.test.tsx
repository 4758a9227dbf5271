/**
 * The server-rendering pattern of the README ("Next.js and other server renderers"): what
 * `sessions.readSession` gives, through `initialSessionOf`, into the provider on the server, then
 * hydration in the browser, whose client reads the same front-token cookie.
 */
import { decodeFrontToken, initialSessionOf, type ReadSessionResultLike } from '@latch/client'
import { act } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequireSession } from './RequireSession'
import { SessionProvider } from './SessionProvider'
import { SessionView } from './test/SessionView'
import { TestSessionClient } from './test/TestSessionClient'

const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)

function App({
  client,
  initialSession,
}: {
  client: TestSessionClient
  initialSession: ReturnType<typeof initialSessionOf>
}) {
  return (
    <SessionProvider client={client} initialSession={initialSession}>
      <SessionView />
      <RequireSession fallback={<p>Sign in</p>} loading={<p>Checking…</p>}>
        {(session) => <p>Hello {session.userId}</p>}
      </RequireSession>
    </SessionProvider>
  )
}

let container: HTMLElement | undefined
afterEach(() => {
  container?.remove()
  container = undefined
})

/** Server render from `result`; hydrate with a browser client that reads `frontToken`. */
async function serverThenHydrate(result: ReadSessionResultLike, frontToken: string | null) {
  const initialSession = initialSessionOf(result)
  container = document.createElement('div')
  container.innerHTML = renderToString(
    <App client={new TestSessionClient()} initialSession={initialSession} />,
  )
  document.body.append(container)
  const html = container.textContent ?? ''

  const front = decodeFrontToken(frontToken)
  const browserClient = new TestSessionClient(
    front ? { status: 'authenticated', session: front } : { status: 'unauthenticated', session: null },
  )
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  const recoverable = vi.fn()
  await act(async () => {
    hydrateRoot(container!, <App client={browserClient} initialSession={initialSession} />, {
      onRecoverableError: recoverable,
    })
  })
  return { html, browserClient, errors, recoverable }
}

describe('readSession → initialSessionOf → SessionProvider', () => {
  it('authenticated: the server HTML has the user, hydration matches, no refresh', async () => {
    const frontToken = encode({ uid: 'alice', sid: 's1', exp: nowSeconds() + 600, gen: 2 })
    const result = {
      status: 'authenticated',
      session: { userId: 'alice', sessionId: 's1' },
      frontToken,
    } as const
    const { html, browserClient, errors, recoverable } = await serverThenHydrate(result, frontToken)
    expect(html).toContain('Hello alice')
    expect(html).toContain('alice gen 2') // the generation too: read from the same front token
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
    expect(browserClient.calls.refresh).toBe(0)
    expect(container).toHaveTextContent('Hello alice')
  })

  it('refresh: the server renders loading, the browser refreshes once and shows the user, no mismatch', async () => {
    const frontToken = encode({ uid: 'alice', sid: 's1', exp: nowSeconds() - 5, gen: 2 })
    const result = { status: 'refresh', session: null, frontToken: null } as const
    const { html, browserClient, errors, recoverable } = await serverThenHydrate(result, frontToken)
    expect(html).toContain('Checking…')
    expect(html).not.toContain('alice')
    await act(async () => {})
    expect(browserClient.calls.refresh).toBe(1)
    expect(container).toHaveTextContent('alice gen 3')
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
  })

  it('unauthenticated: the server renders the fallback, hydration matches', async () => {
    const result = { status: 'unauthenticated', session: null, frontToken: null } as const
    const { html, errors, recoverable, browserClient } = await serverThenHydrate(result, null)
    expect(html).toContain('Sign in')
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
    expect(browserClient.calls.refresh).toBe(0)
  })
})
