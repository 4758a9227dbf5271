import type { KyInstance } from 'ky'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createSessionClient,
  isLatchError,
  isLatchErrorWithCode,
  type LatchError,
  type LatchErrorCode,
  type LockFn,
  localStorageLock,
  processLock,
  RefreshFailedError,
  type SessionClient,
  type SessionClientOptions,
  type SessionInfo,
  type SessionSnapshot,
  webLocks,
} from './index'
import { latchKy } from './ky'

describe('public API types', () => {
  it('createSessionClient takes optional options and returns a SessionClient', () => {
    expectTypeOf(createSessionClient).parameter(0).toEqualTypeOf<SessionClientOptions | undefined>()
    expectTypeOf(createSessionClient()).toEqualTypeOf<SessionClient>()
    // @ts-expect-error transport is a closed union
    createSessionClient({ transport: 'pigeon' })
    // @ts-expect-error proactiveRefresh is a number or false, not true
    createSessionClient({ proactiveRefresh: true })
  })

  it('fetch has the exact signature of the global fetch', () => {
    expectTypeOf<SessionClient['fetch']>().toEqualTypeOf<typeof fetch>()
  })

  it('the snapshot narrows on status', () => {
    const snapshot = {} as SessionSnapshot
    if (snapshot.status === 'authenticated') expectTypeOf(snapshot.session).toEqualTypeOf<SessionInfo>()
    else expectTypeOf(snapshot.session).toEqualTypeOf<null>()
  })

  it('events are typed by name', () => {
    const client = {} as SessionClient
    client.on('signedOut', (payload) => {
      expectTypeOf(payload.reason).toEqualTypeOf<
        'signout' | 'unauthorized' | 'session_expired' | 'token_theft_detected' | 'other_tab' | 'key_lost'
      >()
    })
    client.on('refreshFailed', (payload) => expectTypeOf(payload.error).toEqualTypeOf<Error>())
    // @ts-expect-error unknown event
    client.on('nope', () => {})
    expectTypeOf(client.refresh()).toEqualTypeOf<Promise<SessionInfo | null>>()
  })

  it('locks are interchangeable functions', () => {
    expectTypeOf(webLocks()).toEqualTypeOf<LockFn>()
    expectTypeOf(localStorageLock()).toEqualTypeOf<LockFn>()
    expectTypeOf(processLock()).toEqualTypeOf<LockFn>()
    const lock = processLock()
    expectTypeOf(lock('x', async () => 1)).toEqualTypeOf<Promise<number>>()
  })

  it('errors carry a code union and guards narrow', () => {
    expectTypeOf<LatchError['code']>().toEqualTypeOf<LatchErrorCode>()
    const value: unknown = null
    if (isLatchError(value)) expectTypeOf(value.code).toEqualTypeOf<LatchErrorCode>()
    if (isLatchErrorWithCode(value, 'refresh_failed'))
      expectTypeOf(value.code).toEqualTypeOf<'refresh_failed'>()
    expectTypeOf(new RefreshFailedError(503, 'store_unavailable', 2).retryAfter).toEqualTypeOf<
      number | null
    >()
  })

  it('latchKy returns a ky instance', () => {
    expectTypeOf(latchKy({} as SessionClient)).toEqualTypeOf<KyInstance>()
  })
})
