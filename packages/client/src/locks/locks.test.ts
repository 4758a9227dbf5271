import { describe, expect, it, vi } from 'vitest'
import { processLock } from './processLock'
import { type LockManagerLike, webLocks } from './webLocks'

describe('processLock', () => {
  it('serialises holders of one name in call order and lets other names through', async () => {
    const lock = processLock()
    const order: string[] = []
    let releaseFirst!: () => void
    const first = lock('a', () =>
      new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => order.push('a1')),
    )
    const second = lock('a', async () => order.push('a2'))
    await lock('b', async () => order.push('b'))
    expect(order).toEqual(['b'])
    releaseFirst()
    await Promise.all([first, second])
    expect(order).toEqual(['b', 'a1', 'a2'])
  })

  it('releases after a rejection', async () => {
    const lock = processLock()
    await expect(lock('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    await expect(lock('a', async () => 'next')).resolves.toBe('next')
  })
})

describe('webLocks', () => {
  /** A fake LockManager following the spec's exclusive queue and AbortSignal handling. */
  function fakeLockManager(): LockManagerLike & { requested: string[] } {
    const queue = processLock()
    const requested: string[] = []
    return {
      requested,
      request(name, options, callback) {
        requested.push(name)
        return new Promise((resolve, reject) => {
          let granted = false
          options.signal?.addEventListener('abort', () => {
            if (!granted) reject(new DOMException('aborted', 'AbortError'))
          })
          queue(name, async () => {
            if (options.signal?.aborted) return
            granted = true
            await callback({}).then(resolve, reject)
          })
        })
      },
    }
  }

  it('runs fn under navigator.locks-style exclusive locks', async () => {
    const locks = fakeLockManager()
    const lock = webLocks({ locks })
    await expect(lock('latch-refresh', async () => 42)).resolves.toBe(42)
    expect(locks.requested).toEqual(['latch-refresh'])
  })

  it('turns an acquire timeout into lock_timeout', async () => {
    const locks = fakeLockManager()
    const lock = webLocks({ locks, acquireTimeout: 20 })
    let release!: () => void
    const holder = lock('x', () => new Promise<void>((resolve) => (release = resolve)))
    await expect(lock('x', async () => 'late')).rejects.toMatchObject({ code: 'lock_timeout' })
    release()
    await holder
  })

  it('says what to do when Web Locks is missing', async () => {
    // Node 24 has navigator.locks of its own; a browser without it is what is tested here.
    vi.stubGlobal('navigator', {})
    await expect(webLocks()('x', async () => 1)).rejects.toThrow(/pass another `lock`/)
  })
})
