import { describe, expect, it } from 'vitest'
import { initialSessionOf } from './initialSessionOf'

const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url')
const front = encode({ uid: 'alice', sid: 's1', exp: 1764100000, gen: 3 })
const session = { userId: 'alice', sessionId: 's1' }

describe('initialSessionOf', () => {
  it('gives the session the browser will read from the same front token when authenticated', () => {
    expect(initialSessionOf({ status: 'authenticated', session, frontToken: front })).toEqual({
      userId: 'alice',
      sessionId: 's1',
      accessTokenExpiresAt: 1764100000000,
      generation: 3,
    })
  })

  it('gives null without a session and undefined (loading) when the client must refresh', () => {
    expect(initialSessionOf({ status: 'unauthenticated', session: null, frontToken: null })).toBeNull()
    expect(initialSessionOf({ status: 'refresh', session: null, frontToken: null })).toBeUndefined()
  })

  it('leaves it to the browser (undefined) when the front token is missing, garbage or names another session', () => {
    for (const frontToken of [
      null,
      undefined,
      '',
      'garbage',
      encode({ uid: 'bob', sid: 's1', exp: 1, gen: 0 }),
    ]) {
      expect(initialSessionOf({ status: 'authenticated', session, frontToken })).toBeUndefined()
    }
    const other = encode({ uid: 'alice', sid: 's2', exp: 1, gen: 0 })
    expect(initialSessionOf({ status: 'authenticated', session, frontToken: other })).toBeUndefined()
  })
})
