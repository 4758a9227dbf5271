/**
 * The default channel and the timeouts, with the real browser APIs of Node (BroadcastChannel,
 * AbortSignal.timeout) or minimal stand-ins (window storage events).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type BroadcastMessage, defaultBroadcast } from './broadcast'
import { createSessionClient } from './createSessionClient'
import { processLock } from './locks/processLock'
import { memoryStorage } from './storage'
import { API, frontTokenFor } from './test/fakeLatchServer'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('defaultBroadcast', () => {
  it('is a no-op without a window', () => {
    const channel = defaultBroadcast('x')
    channel.post({ type: 'refreshed' })
    channel.subscribe(() => {})()
    channel.close()
  })

  it('uses BroadcastChannel, validating what it receives', async () => {
    vi.stubGlobal('window', {})
    const a = defaultBroadcast('latch:test')
    const b = defaultBroadcast('latch:test')
    const received: BroadcastMessage[] = []
    const unsubscribe = b.subscribe((message) => received.push(message))
    a.post({ type: 'signedOut', reason: 'token_theft_detected' })
    new BroadcastChannel('latch:test').postMessage({ type: 'nonsense' })
    a.post({ type: 'refreshed', reason: 'bogus' as never })
    await vi.waitFor(() => expect(received).toHaveLength(2))
    expect(received).toEqual([{ type: 'signedOut', reason: 'token_theft_detected' }, { type: 'refreshed' }])
    unsubscribe()
    a.close()
    b.close()
    expect(() => a.post({ type: 'refreshed' })).not.toThrow()
  })

  it('falls back to storage events where BroadcastChannel is missing', () => {
    const listeners = new Set<(event: { key: string | null; newValue: string | null }) => void>()
    const storage = memoryStorage()
    vi.stubGlobal('BroadcastChannel', undefined)
    vi.stubGlobal('window', {
      localStorage: storage,
      addEventListener: (_: string, listener: never) => listeners.add(listener),
      removeEventListener: (_: string, listener: never) => listeners.delete(listener),
    })
    const channel = defaultBroadcast('latch:test')
    const received: BroadcastMessage[] = []
    const unsubscribe = channel.subscribe((message) => received.push(message))
    channel.post({ type: 'signedOut', reason: 'signout' })
    const written = storage.getItem('latch:test:message')
    expect(JSON.parse(written!)).toMatchObject({ type: 'signedOut', reason: 'signout' })
    // What another tab's write looks like here; foreign keys and garbage are ignored.
    for (const listener of listeners) {
      listener({ key: 'latch:test:message', newValue: written })
      listener({ key: 'other', newValue: written })
      listener({ key: 'latch:test:message', newValue: '{not json' })
    }
    expect(received).toEqual([{ type: 'signedOut', reason: 'signout' }])
    unsubscribe()
    expect(listeners.size).toBe(0)
  })
})

describe('timeouts', () => {
  it('fails a hanging refresh with refresh_timeout and keeps the session', async () => {
    const storage = memoryStorage()
    storage.setItem('latch.front', frontTokenFor(0, Date.now() + 60_000))
    const fetch = async (request: Request) => {
      if (!request.url.includes('/auth/session/'))
        return new Response(null, { status: 401, headers: { 'x-latch-error': 'try_refresh' } })
      // Hangs until the client gives up.
      return new Promise<Response>((_, reject) =>
        request.signal.addEventListener('abort', () => reject(request.signal.reason)),
      )
    }
    const latch = createSessionClient({
      apiBase: API,
      storage,
      lock: processLock(),
      fetch: fetch as typeof globalThis.fetch,
      refreshTimeout: 50,
      proactiveRefresh: false,
    })
    await expect(latch.fetch(`${API}/api/me`)).rejects.toMatchObject({
      code: 'refresh_timeout',
      name: 'RefreshTimeoutError',
    })
    expect(latch.getSnapshot().status).toBe('authenticated')
    await expect(latch.signOut()).rejects.toMatchObject({
      code: 'signout_failed',
      cause: { code: 'refresh_timeout' },
    })
    expect(latch.getSnapshot().status).toBe('authenticated')
    latch.destroy()
  })
})
