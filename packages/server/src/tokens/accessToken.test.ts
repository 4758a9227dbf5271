import { afterAll, describe, expect, test } from 'vitest'
import { fakeClock, verifyToken } from '../../test/harness.js'
import { cachedVerifier } from '../adapters/adapter.js'
import { createSessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'

describe('access tokens', () => {
  // Milliseconds on the clock: `iat` must still come out whole seconds.
  const clock = fakeClock(Date.UTC(2025, 0, 1) + 123)
  const store = memoryStore()
  const sessions = createSessionManager({ store, now: clock.now })
  // Another instance on the store: its tokens are new to `sessions` (whose own tokens enter its
  // verify cache at issue), for the tests that need a first verification to be a miss.
  const issuer = createSessionManager({ store, now: clock.now })
  afterAll(async () => {
    await sessions.close()
    await issuer.close()
  })
  const login = (userId: string) =>
    sessions.create(new Request('http://localhost/login', { method: 'POST' }), { userId })
  const loginElsewhere = (userId: string) =>
    issuer.create(new Request('http://localhost/login', { method: 'POST' }), { userId })

  test('size with no custom claims stays under 300 bytes', async () => {
    // A UUID user id is the common worst case for `sub`.
    const { accessToken } = await login('3f2504e0-4f89-41d3-9a0c-0305e82c3301')
    const short = (await login('alice')).accessToken
    console.log(
      `access token size: ${accessToken.length} bytes (uuid user id), ${short.length} bytes (user id "alice")`,
    )
    expect(accessToken.length).toBeLessThan(340)
    expect(short.length).toBeLessThan(300)
  })

  test('header and claims: EdDSA, kid, typ latch+jwt, sub/sid/cv/iat/exp/iss, nothing else; whole-second times', async () => {
    const { accessToken, session } = await login('alice')
    const [header, payload] = accessToken
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()))
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ'])
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'latch+jwt' })
    expect(payload).toEqual({
      sub: 'alice',
      sid: session.sessionId,
      cv: 0,
      iss: 'latch',
      iat: expect.any(Number),
      exp: payload.iat + 600,
    })
    // Whole seconds: PyJWT and jsonwebtoken refuse a fractional `iat` as "not yet valid".
    expect(Number.isInteger(payload.iat)).toBe(true)
  })

  test('the cache does not outlive exp, and revocation applies to cached tokens', async () => {
    const { accessToken, session } = await login('carol')
    expect((await verifyToken(sessions, accessToken)).userId).toBe('carol') // now cached
    await sessions.revokeSession(session.sessionId)
    await expect(verifyToken(sessions, accessToken)).rejects.toMatchObject({ code: 'unauthorized' })
    const other = await login('dave')
    await verifyToken(sessions, other.accessToken)
    clock.advance(600_000 + 5_001)
    await expect(verifyToken(sessions, other.accessToken)).rejects.toMatchObject({ code: 'try_refresh' })
  })

  test('verifyCached: synchronous on a hit, undefined on a miss, revocation and expiry still checked', async () => {
    const bearer = (token: string) =>
      new Request('http://localhost/api', { headers: { authorization: `Bearer ${token}` } })
    const { accessToken, session } = await loginElsewhere('erin')
    expect(cachedVerifier(sessions)(bearer(accessToken))).toBeUndefined() // never verified: a miss
    await sessions.verify(bearer(accessToken))
    expect(cachedVerifier(sessions)(bearer(accessToken))).toMatchObject({
      userId: 'erin',
      sessionId: session.sessionId,
    })
    // Revoked: refused at once on the cached token, without waiting for anything.
    await sessions.revokeSession(session.sessionId)
    expect(() => cachedVerifier(sessions)(bearer(accessToken))).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    )
    // The request's own errors are thrown as `verify` would reject.
    expect(() => cachedVerifier(sessions)(new Request('http://localhost/api'))).toThrow(
      expect.objectContaining({ code: 'try_refresh' }),
    )
    expect(() => cachedVerifier(sessions)(bearer('x'.repeat(5000)))).toThrow(
      expect.objectContaining({ code: 'try_refresh' }),
    )
    const cookieRequest = (token: string, method = 'GET') =>
      new Request('http://localhost/api', { method, headers: { cookie: `latch-access=${token}` } })
    expect(() => cachedVerifier(sessions)(cookieRequest(accessToken, 'POST'))).toThrow(
      expect.objectContaining({ code: 'csrf_failed' }),
    )
    const other = await login('frank')
    await sessions.verify(cookieRequest(other.accessToken))
    expect(cachedVerifier(sessions)(cookieRequest(other.accessToken))?.userId).toBe('frank')
    clock.advance(600_000 + 5_001)
    expect(() => cachedVerifier(sessions)(cookieRequest(other.accessToken))).toThrow(
      expect.objectContaining({ code: 'try_refresh' }),
    )
  })

  test('verifyCached with a per-connection memo: the same answers, every check still made', async () => {
    const bearer = (token: string) => ({
      method: 'GET',
      url: 'http://localhost/api',
      headers: { get: (name: string) => (name === 'authorization' ? `Bearer ${token}` : null) },
    })
    const cookieRequest = (token: string) =>
      new Request('http://localhost/api', { headers: { cookie: `latch-access=${token}` } })
    const memo = { token: '', key: '' }
    // A fresh memo remembers nothing: an empty token (`Authorization: Bearer`) is refused as ever.
    expect(() => cachedVerifier(sessions)(bearer(''), memo)).toThrow(
      expect.objectContaining({ code: 'try_refresh' }),
    )
    const grace = await loginElsewhere('grace')
    expect(cachedVerifier(sessions)(cookieRequest(grace.accessToken), memo)).toBeUndefined()
    expect(memo.token).toBe(grace.accessToken) // the key is kept even for a miss: a pure function
    await sessions.verify(cookieRequest(grace.accessToken))
    expect(cachedVerifier(sessions)(cookieRequest(grace.accessToken), memo)?.userId).toBe('grace')
    // One character off the remembered token is another token: hashed anew, never verified.
    // (Not the last character: it carries padding bits, so some changes there decode the same.)
    const at = grace.accessToken.length - 10
    const swapped = grace.accessToken[at] === 'A' ? 'B' : 'A'
    const tampered = `${grace.accessToken.slice(0, at)}${swapped}${grace.accessToken.slice(at + 1)}`
    expect(cachedVerifier(sessions)(cookieRequest(tampered), memo)).toBeUndefined()
    await expect(sessions.verify(cookieRequest(tampered))).rejects.toMatchObject({ code: 'try_refresh' })
    // A token the memo cannot copy exactly (beyond Latin-1) is checked, not remembered.
    expect(cachedVerifier(sessions)(bearer(`${grace.accessToken}\u0161`), memo)).toBeUndefined()
    expect(memo.token).toBe(tampered)
    // Another user on the same connection (a proxy's): their own session, then back.
    const heidi = await login('heidi')
    await sessions.verify(cookieRequest(heidi.accessToken))
    expect(cachedVerifier(sessions)(cookieRequest(heidi.accessToken), memo)?.userId).toBe('heidi')
    expect(cachedVerifier(sessions)(cookieRequest(grace.accessToken), memo)?.userId).toBe('grace')
    // A remembered key is only a key: revocation and a cleared cache still apply.
    expect(cachedVerifier(sessions)(cookieRequest(heidi.accessToken), memo)?.userId).toBe('heidi')
    await sessions.revokeSession(heidi.session.sessionId)
    expect(memo.token).toBe(heidi.accessToken)
    expect(() => cachedVerifier(sessions)(cookieRequest(heidi.accessToken), memo)).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    )
    expect(cachedVerifier(sessions)(cookieRequest(grace.accessToken), memo)?.userId).toBe('grace')
    await sessions.revokeCurrentKey()
    expect(memo.token).toBe(grace.accessToken)
    expect(cachedVerifier(sessions)(cookieRequest(grace.accessToken), memo)).toBeUndefined()
  })

  test('reserved claims are refused at creation', async () => {
    const request = new Request('http://localhost/login', { method: 'POST' })
    await expect(sessions.create(request, { userId: 'x', claims: { sub: 'admin' } })).rejects.toThrow(
      TypeError,
    )
    await expect(sessions.create(request, { userId: '' })).rejects.toThrow(TypeError)
  })

  test('a token this instance issues is in its verify cache at once; every check still applies on the hit', async () => {
    const bearer = (token: string) =>
      new Request('http://localhost/api', { headers: { authorization: `Bearer ${token}` } })
    const missesBefore = sessions.stats().verifyCache.misses
    const { accessToken, session } = await login('ivan')
    // The first request after the sign-in is a synchronous hit: no signature check.
    expect(cachedVerifier(sessions)(bearer(accessToken))).toMatchObject({
      userId: 'ivan',
      sessionId: session.sessionId,
      claims: {},
      claimsVersion: 0,
    })
    expect(sessions.stats().verifyCache.misses).toBe(missesBefore)
    // Claims: a copy of what was signed, so a later change to the caller's object is not seen.
    const claims = { role: 'reader' }
    const judy = await sessions.create(new Request('http://localhost/login', { method: 'POST' }), {
      userId: 'judy',
      claims,
    })
    claims.role = 'admin'
    expect(cachedVerifier(sessions)(bearer(judy.accessToken))?.claims).toEqual({ role: 'reader' })
    // Stale marks apply to the cached entry: a claims update refuses it at once…
    await sessions.updateSessionClaims(judy.session.sessionId, { role: 'editor' })
    expect(() => cachedVerifier(sessions)(bearer(judy.accessToken))).toThrow(
      expect.objectContaining({ code: 'try_refresh' }),
    )
    // …revocation too…
    await sessions.revokeSession(session.sessionId)
    expect(() => cachedVerifier(sessions)(bearer(accessToken))).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    )
    // …and a key revocation empties the cache, so its tokens are checked (and refused) again.
    const kept = await login('kate')
    expect(cachedVerifier(sessions)(bearer(kept.accessToken))?.userId).toBe('kate')
    await sessions.revokeCurrentKey()
    expect(cachedVerifier(sessions)(bearer(kept.accessToken))).toBeUndefined()
    await expect(sessions.verify(bearer(kept.accessToken))).rejects.toMatchObject({ code: 'try_refresh' })
    // A token issued after it is cached again, with the new key.
    const fresh = await login('kate')
    expect(cachedVerifier(sessions)(bearer(fresh.accessToken))?.userId).toBe('kate')
  })
})
