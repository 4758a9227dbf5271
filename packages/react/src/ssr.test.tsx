import type { SessionSnapshot } from '@latch/client'
import { act } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RequireSession } from './RequireSession'
import { SessionProvider } from './SessionProvider'
import { SessionView } from './test/SessionView'
import { makeSession, TestSessionClient } from './test/TestSessionClient'

const session = makeSession({ userId: 'carol', generation: 3 })
const authenticated: SessionSnapshot = { status: 'authenticated', session }

function App({
  client,
  initialSession,
}: {
  client: TestSessionClient
  initialSession?: typeof session | null
}) {
  return (
    <SessionProvider client={client} initialSession={initialSession} refreshOnMount={false}>
      <SessionView />
      <RequireSession fallback={<p>Sign in</p>} loading={<p>Checking…</p>}>
        <p>Dashboard</p>
      </RequireSession>
    </SessionProvider>
  )
}

let container: HTMLElement | undefined
afterEach(() => {
  container?.remove()
  container = undefined
})

/** Server render with a client that knows nothing (no cookies on the server), then hydrate. */
async function serverThenHydrate(initialSession: typeof session | null | undefined) {
  const serverClient = new TestSessionClient({ status: 'loading', session: null })
  const html = renderToString(<App client={serverClient} initialSession={initialSession} />)
  // Effects never run on the server: nothing may be subscribed or refreshed there.
  expect(serverClient.stateListenerCount + serverClient.calls.refresh).toBe(0)

  container = document.createElement('div')
  container.innerHTML = html
  document.body.append(container)
  const serverText = container.textContent

  const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
  const recoverable = vi.fn()
  const browserClient = new TestSessionClient(authenticated)
  await act(async () => {
    hydrateRoot(container!, <App client={browserClient} initialSession={initialSession} />, {
      onRecoverableError: recoverable,
    })
  })
  return { html, serverText, errors, recoverable, browserClient }
}

describe('server rendering and hydration', () => {
  it('renders the initial session on the server and hydrates without warnings', async () => {
    const { html, serverText, errors, recoverable } = await serverThenHydrate(session)
    expect(html).toContain('Dashboard')
    expect(serverText).toContain('authenticatedcarol gen 3')
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
    expect(container).toHaveTextContent('carol gen 3')
  })

  it('renders loading without an initial session, then shows the browser session after hydration', async () => {
    const { html, errors, recoverable } = await serverThenHydrate(undefined)
    expect(html).toContain('loading')
    expect(html).toContain('Checking…')
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
    expect(container).toHaveTextContent('carol gen 3')
    expect(container).toHaveTextContent('Dashboard')
  })

  it('renders the fallback when the server says there is no session', async () => {
    const { html, errors, recoverable } = await serverThenHydrate(null)
    expect(html).toContain('unauthenticated')
    expect(html).toContain('Sign in')
    expect(errors).not.toHaveBeenCalled()
    expect(recoverable).not.toHaveBeenCalled()
    // The browser knows better: it has a session, and React moves to it after hydrating.
    expect(container).toHaveTextContent('Dashboard')
  })

  it('subscribes the hydrated tree to the browser client', async () => {
    const { browserClient } = await serverThenHydrate(session)
    // One per useSession consumer: SessionView and RequireSession.
    expect(browserClient.stateListenerCount).toBe(2)
    act(() => browserClient.endSession('signout', 'other_tab'))
    expect(container).toHaveTextContent('Sign in')
  })
})
