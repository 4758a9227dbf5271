import { act, fireEvent, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
// Through the package entry, so the re-exported client API is what a user would import.
import {
  createSessionClient,
  type LockFn,
  memoryStorage,
  processLock,
  type SessionClient,
  type StateStorage,
} from './index'
import { API, broadcastBus, fakeLatchApi } from './test/fakeLatchApi'
import { renderWithProvider } from './test/renderWithProvider'
import { SessionView } from './test/SessionView'

const clients: SessionClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
})

/** One simulated tab: a real client over the shared storage, lock and channel of its "browser". */
function openTab(
  api: ReturnType<typeof fakeLatchApi>,
  shared: { storage: StateStorage; lock: LockFn; broadcast: ReturnType<typeof broadcastBus> },
): SessionClient {
  const client = createSessionClient({
    apiBase: API,
    transport: 'header',
    fetch: api.fetch,
    storage: shared.storage,
    lock: shared.lock,
    broadcast: shared.broadcast,
    syncOnFocus: false,
  })
  clients.push(client)
  return client
}

function browser(entries: Record<string, string>) {
  const storage = memoryStorage()
  for (const [key, value] of Object.entries(entries)) storage.setItem(key, value)
  return { storage, lock: processLock(), broadcast: broadcastBus() }
}

describe('with the real @latch/client', () => {
  it('shows a refresh made by another tab', async () => {
    const api = fakeLatchApi()
    const shared = browser(api.signedInEntries())
    const tabA = openTab(api, shared)
    const tabB = openTab(api, shared)
    renderWithProvider(tabA, <SessionView />)
    expect(screen.getByTestId('user')).toHaveTextContent('alice gen 0')

    await act(() => tabB.refresh())

    expect(screen.getByTestId('user')).toHaveTextContent('alice gen 1')
    expect(api.state.refreshCalls).toBe(1)
  })

  it('signs out from the hook, in this tab and the other', async () => {
    const api = fakeLatchApi()
    const shared = browser(api.signedInEntries())
    const tabA = openTab(api, shared)
    const tabB = openTab(api, shared)
    renderWithProvider(tabA, <SessionView />)

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }))

    expect(await screen.findByText('unauthenticated')).toBeInTheDocument()
    // useSession() says why (the client's snapshot reason), here and in the other tab.
    expect(screen.getByTestId('reason')).toHaveTextContent('signout')
    expect(tabB.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'signout' })
  })

  it('ends the session when a call through client.fetch meets theft, and reports the reason', async () => {
    const api = fakeLatchApi()
    const shared = browser(api.signedInEntries())
    const tab = openTab(api, shared)
    const onSignedOut = vi.fn()
    renderWithProvider(tab, <SessionView />, { onSignedOut })
    api.state.accessValid = false
    api.state.refreshMode = 'token_theft_detected'

    const response = await act(() => tab.fetch(`${API}/api/me`))

    expect(response.status).toBe(401)
    expect(screen.getByTestId('status')).toHaveTextContent('unauthenticated')
    expect(screen.getByTestId('reason')).toHaveTextContent('token_theft_detected')
    expect(onSignedOut).toHaveBeenCalledTimes(1)
    expect(onSignedOut).toHaveBeenCalledWith(
      'token_theft_detected',
      expect.objectContaining({ origin: 'this_tab' }),
    )
  })

  it('under StrictMode, an expired session at mount costs one refresh request', async () => {
    const api = fakeLatchApi()
    const shared = browser(api.signedInEntries(-5_000))
    const tab = openTab(api, shared)
    renderWithProvider(tab, <SessionView />, { strict: true, onSignedOut: () => {} })

    expect(await screen.findByText('alice gen 1')).toBeInTheDocument()
    // Let the client's own proactive-refresh timer for the expired token run too: it must find the
    // session already refreshed and leave it.
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)))
    expect(api.state.refreshCalls).toBe(1)
  })
})
