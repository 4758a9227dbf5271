import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { memoryStorage } from '../storage'
import { localStorageLock } from './localStorageLock'

// Only timers and Date are faked: the lock's clock is Date.now and its waits are setTimeout.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe('localStorageLock', () => {
  it('runs holders one at a time across "tabs" sharing the storage', async () => {
    const storage = memoryStorage()
    const tabA = localStorageLock({ storage })
    const tabB = localStorageLock({ storage })
    const order: string[] = []
    const gate = deferred()
    const a = tabA('x', async () => {
      order.push('a:start')
      await gate.promise
      order.push('a:end')
    })
    await vi.advanceTimersByTimeAsync(100)
    const b = tabB('x', async () => {
      order.push('b')
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect(order).toEqual(['a:start'])
    gate.resolve()
    await vi.advanceTimersByTimeAsync(200)
    await Promise.all([a, b])
    expect(order).toEqual(['a:start', 'a:end', 'b'])
    expect(storage.getItem('latch-lock:x')).toBeNull()
  })

  it('takes over the lock of a holder that died, once its entry expires', async () => {
    const storage = memoryStorage()
    // A tab crashed while holding the lock: its entry stays, nobody heartbeats it.
    storage.setItem('latch-lock:x', JSON.stringify({ id: 'dead-tab', expiresAt: Date.now() + 5000 }))
    let acquired = false
    const done = localStorageLock({ storage, ttl: 5000, acquireTimeout: 20_000 })('x', async () => {
      acquired = true
    })
    await vi.advanceTimersByTimeAsync(4900)
    expect(acquired).toBe(false)
    await vi.advanceTimersByTimeAsync(200)
    await done
    expect(acquired).toBe(true)
  })

  it('keeps a live holder that runs longer than the ttl alive with its heartbeat', async () => {
    const storage = memoryStorage()
    const gate = deferred()
    const holder = localStorageLock({ storage, ttl: 3000 })('x', () => gate.promise)
    await vi.advanceTimersByTimeAsync(100)
    let waiterRan = false
    const waiter = localStorageLock({ storage, ttl: 3000, acquireTimeout: 20_000 })('x', async () => {
      waiterRan = true
    })
    // Five times the ttl: without the heartbeat the waiter would have taken over long ago.
    await vi.advanceTimersByTimeAsync(15_000)
    expect(waiterRan).toBe(false)
    expect(JSON.parse(storage.getItem('latch-lock:x')!).expiresAt).toBeGreaterThan(Date.now())
    gate.resolve()
    await vi.advanceTimersByTimeAsync(200)
    await Promise.all([holder, waiter])
    expect(waiterRan).toBe(true)
  })

  it('fails with lock_timeout when the lock stays taken', async () => {
    const storage = memoryStorage()
    const gate = deferred()
    const holder = localStorageLock({ storage })('x', () => gate.promise)
    const waiter = localStorageLock({ storage, acquireTimeout: 1000 })('x', async () => 'never')
    const result = expect(waiter).rejects.toMatchObject({ code: 'lock_timeout', name: 'LockTimeoutError' })
    await vi.advanceTimersByTimeAsync(1200)
    await result
    gate.resolve()
    await holder
  })

  it('releases the lock when the holder throws, and treats garbage entries as free', async () => {
    const storage = memoryStorage()
    storage.setItem('latch-lock:x', '{not json')
    const lock = localStorageLock({ storage })
    const failing = lock('x', async () => {
      throw new Error('boom')
    })
    const settled = expect(failing).rejects.toThrow('boom')
    await vi.advanceTimersByTimeAsync(100)
    await settled
    expect(storage.getItem('latch-lock:x')).toBeNull()
  })

  it('validates its options', () => {
    expect(() => localStorageLock({ ttl: 0 })).toThrow(
      expect.objectContaining({ code: 'invalid_option', option: 'ttl' }),
    )
    expect(() => localStorageLock({ ttl: 100, heartbeatInterval: 100 })).toThrow(
      expect.objectContaining({ option: 'heartbeatInterval' }),
    )
  })
})
