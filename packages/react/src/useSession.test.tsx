import type { SessionClient } from '@latch/client'
import { act, fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { SessionProvider } from './SessionProvider'
import { renderWithProvider } from './test/renderWithProvider'
import { SessionView } from './test/SessionView'
import { makeSession, TestSessionClient } from './test/TestSessionClient'
import { type UseSessionResult, useSession } from './useSession'
import { useSessionClient } from './useSessionClient'

function Probe({ tick, onResult }: { tick: number; onResult: (result: UseSessionResult) => void }) {
  onResult(useSession())
  return <span>{tick}</span>
}

function ClientProbe({ onClient }: { onClient: (client: SessionClient) => void }) {
  onClient(useSessionClient())
  return null
}

describe('useSession', () => {
  it('goes from loading to authenticated when the client reads the session', () => {
    const client = new TestSessionClient()
    renderWithProvider(client, <SessionView />)
    expect(screen.getByTestId('status')).toHaveTextContent('loading')

    act(() => client.setSnapshot({ status: 'authenticated', session: makeSession() }))

    expect(screen.getByTestId('status')).toHaveTextContent('authenticated')
    expect(screen.getByTestId('user')).toHaveTextContent('alice gen 0')
  })

  it('signs out through the client and shows unauthenticated', async () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    renderWithProvider(client, <SessionView />)

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }))

    expect(await screen.findByText('unauthenticated')).toBeInTheDocument()
    expect(client.calls.signOut).toBe(1)
    expect(screen.queryByTestId('user')).not.toBeInTheDocument()
  })

  it('refreshes through the client and shows the new generation', async () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    renderWithProvider(client, <SessionView />)

    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }))

    expect(await screen.findByText('alice gen 1')).toBeInTheDocument()
    expect(client.calls.refresh).toBe(1)
  })

  it('follows a refresh, a sign-in and a sign-out made in another tab', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    renderWithProvider(client, <SessionView />)

    act(() => client.refreshed(makeSession({ generation: 5 }), 'other_tab'))
    expect(screen.getByTestId('user')).toHaveTextContent('alice gen 5')

    act(() => client.endSession('other_tab', 'other_tab'))
    expect(screen.getByTestId('status')).toHaveTextContent('unauthenticated')

    act(() => client.signedIn(makeSession({ userId: 'bob', sessionId: 'sid-2' }), 'other_tab'))
    expect(screen.getByTestId('user')).toHaveTextContent('bob gen 0')
  })

  it('does not re-render on client events that leave the snapshot unchanged', () => {
    const session = makeSession()
    const client = new TestSessionClient({ status: 'authenticated', session })
    const onRender = vi.fn()
    const { rerenderWithProps } = renderWithProvider(client, <SessionView onRender={onRender} />)
    const rendersAfterMount = onRender.mock.calls.length

    act(() => {
      client.notify()
      client.emit('refreshFailed', { error: new Error('offline') })
      client.emit('refreshed', { session, origin: 'other_tab' })
    })
    expect(onRender).toHaveBeenCalledTimes(rendersAfterMount)

    // A real change still gets through, once.
    act(() => client.refreshed(makeSession({ generation: 1 }), 'other_tab'))
    expect(onRender).toHaveBeenCalledTimes(rendersAfterMount + 1)

    // A provider re-render (new inline callback, same child element) leaves consumers alone: the
    // first rerender renders the new element once, the second must bail out.
    const before = onRender.mock.calls.length
    const stable = <SessionView onRender={onRender} />
    rerenderWithProps(stable, { onSignedOut: () => {} })
    rerenderWithProps(stable, { onSignedOut: () => {} })
    expect(onRender).toHaveBeenCalledTimes(before + 1)
  })

  it('returns the same object and actions until the snapshot changes', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    const results: UseSessionResult[] = []
    const record = (result: UseSessionResult) => results.push(result)
    const { rerenderWithProps } = renderWithProvider(client, <Probe tick={0} onResult={record} />)
    rerenderWithProps(<Probe tick={1} onResult={record} />)
    expect(results).toHaveLength(2)
    expect(results[1]).toBe(results[0])

    act(() => client.refreshed(makeSession({ generation: 1 }), 'this_tab'))
    const last = results.at(-1)!
    expect(last).not.toBe(results[0])
    expect(last.signOut).toBe(results[0]!.signOut)
    expect(last.refresh).toBe(results[0]!.refresh)
  })

  it('throws a message that says what to do when used outside the provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<SessionView />)).toThrow(/useSession must be used inside <SessionProvider>/)
    expect(() => render(<ClientProbe onClient={() => {}} />)).toThrow(
      /useSessionClient must be used inside <SessionProvider>/,
    )
  })

  it('gives components the provider client through useSessionClient', () => {
    const client = new TestSessionClient()
    let seen: unknown
    render(
      <SessionProvider client={client}>
        <ClientProbe onClient={(c) => (seen = c)} />
      </SessionProvider>,
    )
    expect(seen).toBe(client)
  })
})
