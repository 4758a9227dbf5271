import { describe, expect, it } from 'vitest'

// This file runs in plain Node: no window, no document, no localStorage, no navigator.locks.
describe('SSR / Node', () => {
  it('imports and creates a client without a window; the state stays loading', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined')
    const { createSessionClient } = await import('./index')
    const latch = createSessionClient({})
    expect(latch.getSnapshot()).toEqual({ status: 'loading', session: null })
    latch.sync()
    expect(latch.getSnapshot().status).toBe('loading')
    latch.destroy()
  })

  it('starts from initialSession when given', async () => {
    const { createSessionClient } = await import('./index')
    const session = { userId: 'alice', sessionId: 's', accessTokenExpiresAt: 1, generation: 3 }
    const latch = createSessionClient({ initialSession: session, proactiveRefresh: false })
    expect(latch.getSnapshot()).toEqual({ status: 'authenticated', session })
    expect(createSessionClient({ initialSession: null }).getSnapshot().status).toBe('unauthenticated')
    latch.destroy()
  })

  it('fails a relative URL with invalid_request instead of crashing', async () => {
    const { createSessionClient } = await import('./index')
    const latch = createSessionClient({})
    await expect(latch.fetch('/api/me')).rejects.toMatchObject({ code: 'invalid_request' })
  })
})
