import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeFrontToken, readFrontCookie } from './frontToken'

const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url')

describe('front token', () => {
  it('decodes the contract payload (exp in seconds → ms)', () => {
    expect(decodeFrontToken(encode({ uid: 'ålice', sid: 'k3', exp: 1764100000, gen: 4 }))).toEqual({
      userId: 'ålice',
      sessionId: 'k3',
      accessTokenExpiresAt: 1764100000000,
      generation: 4,
    })
  })

  it('carries the public claims (`cl`) as `claims`, only when they are a plain object', () => {
    const base = { uid: 'u', sid: 'k', exp: 1, gen: 0 }
    expect(decodeFrontToken(encode({ ...base, cl: { name: 'Zoë ☃', roles: ['a'] } }))?.claims).toEqual({
      name: 'Zoë ☃',
      roles: ['a'],
    })
    expect(decodeFrontToken(encode(base))?.claims).toBeUndefined()
    for (const cl of ['name', ['a'], 42, null]) {
      const session = decodeFrontToken(encode({ ...base, cl }))
      expect(session?.userId).toBe('u') // still a session, without claims
      expect(session?.claims).toBeUndefined()
    }
  })

  it.each([
    ['wrong types', encode({ uid: 1, sid: 'k', exp: 1, gen: 0 })],
    ['negative gen', encode({ uid: 'u', sid: 'k', exp: 1, gen: -1 })],
    ['missing exp', encode({ uid: 'u', sid: 'k', gen: 0 })],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['not base64url', 'a+b/c='],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe]).toString('base64url')],
    ['huge', 'A'.repeat(10_000)],
    ['remove marker', 'remove'],
  ])('treats %s as no session', (_, value) => {
    expect(decodeFrontToken(value)).toBeNull()
  })

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.anything()), (value) => {
        const result = decodeFrontToken(value)
        expect(result === null || typeof result.sessionId === 'string').toBe(true)
      }),
    )
  })

  it('reads the __Host- cookie first, then latch-front, ignoring others', () => {
    const a = encode({ uid: 'a', sid: 's', exp: 1, gen: 0 })
    const b = encode({ uid: 'b', sid: 's', exp: 1, gen: 0 })
    expect(readFrontCookie(`x=1; latch-front=${a}; __Host-latch-front=${b}`)?.userId).toBe('b')
    expect(readFrontCookie(`x=1;latch-front=${a}`)?.userId).toBe('a')
    expect(readFrontCookie('latch-front=%E0%A4%A')).toBeNull()
    expect(readFrontCookie('')).toBeNull()
  })
})
