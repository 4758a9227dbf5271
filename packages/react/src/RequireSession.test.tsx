import { act, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { RequireSession } from './RequireSession'
import { renderWithProvider } from './test/renderWithProvider'
import { makeSession, TestSessionClient } from './test/TestSessionClient'

const guarded = (
  <RequireSession fallback={<p>Please sign in</p>} loading={<p>Checking…</p>}>
    <p>Secret notes</p>
  </RequireSession>
)

describe('RequireSession', () => {
  it('shows the loading slot, then the children once a session is known', () => {
    const client = new TestSessionClient()
    renderWithProvider(client, guarded)
    expect(screen.getByText('Checking…')).toBeInTheDocument()
    expect(screen.queryByText('Please sign in')).not.toBeInTheDocument()

    act(() => client.setSnapshot({ status: 'authenticated', session: makeSession() }))
    expect(screen.getByText('Secret notes')).toBeInTheDocument()
    expect(screen.queryByText('Checking…')).not.toBeInTheDocument()
  })

  it('swaps the children for the fallback when the session ends', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    renderWithProvider(client, guarded)
    expect(screen.getByText('Secret notes')).toBeInTheDocument()

    act(() => client.endSession('session_expired', 'this_tab'))
    expect(screen.getByText('Please sign in')).toBeInTheDocument()
    expect(screen.queryByText('Secret notes')).not.toBeInTheDocument()
  })

  it('passes the session to a render function', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession({ userId: 'bob' }) })
    renderWithProvider(client, <RequireSession>{(session) => <p>Hello {session.userId}</p>}</RequireSession>)
    expect(screen.getByText('Hello bob')).toBeInTheDocument()
  })

  it('renders nothing by default without a session', () => {
    const client = new TestSessionClient({ status: 'unauthenticated', session: null })
    const { container } = renderWithProvider(client, <RequireSession>secret</RequireSession>)
    expect(container).toBeEmptyDOMElement()
  })
})
