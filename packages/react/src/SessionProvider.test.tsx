import { act, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { SessionProvider } from './SessionProvider'
import { renderWithProvider } from './test/renderWithProvider'
import { SessionView } from './test/SessionView'
import { makeSession, TestSessionClient } from './test/TestSessionClient'

const expired = () => makeSession({ accessTokenExpiresAt: Date.now() - 1_000 })

describe('SessionProvider', () => {
  it('on theft detection shows unauthenticated and calls onSignedOut with the reason', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    const onSignedOut = vi.fn()
    renderWithProvider(client, <SessionView />, { onSignedOut })

    act(() => client.endSession('token_theft_detected', 'this_tab'))

    expect(screen.getByTestId('status')).toHaveTextContent('unauthenticated')
    expect(onSignedOut).toHaveBeenCalledTimes(1)
    expect(onSignedOut).toHaveBeenCalledWith('token_theft_detected', {
      reason: 'token_theft_detected',
      origin: 'this_tab',
    })
  })

  it('calls the newest onSignedOut without piling up event listeners', () => {
    const client = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    const first = vi.fn()
    const second = vi.fn()
    const { rerenderWithProps } = renderWithProvider(client, <SessionView />, { onSignedOut: first })
    rerenderWithProps(<SessionView />, { onSignedOut: second })
    expect(client.eventListenerCount('signedOut')).toBe(1)

    act(() => client.endSession('other_tab', 'other_tab'))

    expect(first).not.toHaveBeenCalled()
    expect(second).toHaveBeenCalledWith('other_tab', { reason: 'other_tab', origin: 'other_tab' })
  })

  it('listens for sign-out only while a callback is given', () => {
    const client = new TestSessionClient()
    const { rerenderWithProps } = renderWithProvider(client, <SessionView />)
    expect(client.eventListenerCount('signedOut')).toBe(0)
    rerenderWithProps(<SessionView />, { onSignedOut: () => {} })
    expect(client.eventListenerCount('signedOut')).toBe(1)
    rerenderWithProps(<SessionView />, {})
    expect(client.eventListenerCount('signedOut')).toBe(0)
  })

  it('under StrictMode refreshes an expired session once and leaks no subscriptions', async () => {
    const client = new TestSessionClient({ status: 'authenticated', session: expired() })
    const { unmount } = renderWithProvider(
      client,
      <>
        <SessionView />
        <SessionView />
      </>,
      { strict: true, onSignedOut: () => {} },
    )

    expect(await screen.findAllByText('alice gen 1')).toHaveLength(2)
    expect(client.calls.refresh).toBe(1)
    expect(client.stateListenerCount).toBe(2)
    expect(client.eventListenerCount('signedOut')).toBe(1)

    unmount()
    expect(client.stateListenerCount).toBe(0)
    expect(client.eventListenerCount('signedOut')).toBe(0)
  })

  it('shares one mount refresh between providers over the same client', async () => {
    const client = new TestSessionClient({ status: 'authenticated', session: expired() })
    render(
      <>
        <SessionProvider client={client}>
          <SessionView />
        </SessionProvider>
        <SessionProvider client={client}>
          <SessionView />
        </SessionProvider>
      </>,
    )
    expect(await screen.findAllByText('alice gen 1')).toHaveLength(2)
    expect(client.calls.refresh).toBe(1)
  })

  it('does not refresh on mount when the access token is still valid, signed out, or disabled', async () => {
    const fresh = new TestSessionClient({ status: 'authenticated', session: makeSession() })
    const signedOut = new TestSessionClient({ status: 'unauthenticated', session: null })
    const disabled = new TestSessionClient({ status: 'authenticated', session: expired() })
    renderWithProvider(fresh, <SessionView />, { strict: true })
    renderWithProvider(signedOut, <SessionView />, { strict: true })
    renderWithProvider(disabled, <SessionView />, { strict: true, refreshOnMount: false })
    await act(async () => {})
    expect([fresh.calls.refresh, signedOut.calls.refresh, disabled.calls.refresh]).toEqual([0, 0, 0])
  })

  it('keeps a failed mount refresh from becoming an unhandled rejection, and retries on a later mount', async () => {
    const client = new TestSessionClient({ status: 'authenticated', session: expired() })
    client.refreshImpl = () => Promise.reject(new Error('network down'))
    const first = renderWithProvider(client, <SessionView />)
    await act(async () => {})
    first.unmount()
    renderWithProvider(client, <SessionView />)
    await act(async () => {})
    expect(client.calls.refresh).toBe(2)
    expect(screen.getByTestId('status')).toHaveTextContent('authenticated')
  })

  it('rejects a missing client with a TypeError that names the prop', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const props = { client: undefined } as unknown as { client: TestSessionClient }
    expect(() => render(<SessionProvider {...props} />)).toThrow(TypeError)
    expect(() => render(<SessionProvider {...props} />)).toThrow(/`client` prop/)
  })
})
