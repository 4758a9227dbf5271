/**
 * Key revocation (a leaked signing key): the key leaves the JWKS and verification on every
 * manager sharing the store at once (pushed in process here; multiInstanceKeysClaims.test.ts does
 * it across processes on Redis and Postgres), the replacement signs at once, nobody is signed out.
 */
import { exportJWK, generateKeyPair } from 'jose'
import { afterEach, describe, expect, test } from 'vitest'
import { Browser, fakeClock, STORES, verifyToken } from '../test/harness.js'
import { kidOf } from '../test/instance/cluster.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error) => error.code ?? error.name,
  )

describe.each(STORES)('key revocation on the %s store', (_name, makeStore) => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const setup = () => {
    const { store, cleanup } = makeStore()
    const clock = fakeClock(Date.now())
    const managers: SessionManager[] = []
    const open = () => {
      const sessions = createSessionManager({ store, now: clock.now })
      managers.push(sessions)
      return sessions
    }
    cleanups.push(async () => {
      for (const m of managers) await m.close()
      await cleanup()
    })
    return { store, clock, open }
  }

  test('revokeCurrentKey: the kid leaves every JWKS, its tokens are try_refresh everywhere, the refresh signs with the replacement', async () => {
    const { store, open } = setup()
    const a = open()
    const b = open()
    const alice = new Browser(a)
    await alice.signIn('alice')
    const cached = await alice.verify() // in A's verify cache
    const onB = new Browser(b, alice.jar)
    await onB.verify() // and in B's
    const [only] = (await a.jwks()).keys
    expect(await store.listKeys()).toHaveLength(1)

    const result = await a.revokeCurrentKey()
    expect(result.revokedKid).toBe(only!.kid)
    expect(result.currentKid).not.toBe(only!.kid)
    for (const m of [a, b]) {
      expect((await m.jwks()).keys.map((k) => k.kid)).toEqual([result.currentKid])
    }
    expect(await code(alice.verify())).toBe('try_refresh')
    expect(await code(onB.verify())).toBe('try_refresh')

    // The refresh token still works, and the new token (new kid) verifies on both.
    const refreshed = await alice.refresh()
    expect(refreshed.status).toBe(200)
    const token = alice.jar.cookies.get('latch-access')!.value
    expect(kidOf(token)).toBe(result.currentKid)
    expect((await alice.verify()).sessionId).toBe(cached.sessionId)
    expect((await verifyToken(b, token)).userId).toBe('alice')
    // New sessions are signed by the replacement at once: no activation delay.
    const bob = new Browser(b)
    expect(kidOf((await bob.signIn('bob')).accessToken)).toBe(result.currentKid)
  })

  test('an unknown kid, or one already revoked, changes nothing and says so', async () => {
    const { open } = setup()
    const a = open()
    await a.ready
    const before = await a.jwks()
    const [key] = before.keys
    expect(await a.revokeKey('no-such-kid')).toEqual({
      outcome: 'unknown_kid',
      revokedKid: null,
      currentKid: key!.kid,
    })
    expect(await a.jwks()).toEqual(before)
    const first = await a.revokeKey(key!.kid as string)
    expect(first.outcome).toBe('revoked')
    const again = await open().revokeKey(key!.kid as string)
    expect(again).toEqual({ outcome: 'already_revoked', revokedKid: null, currentKid: first.currentKid })
    expect((await a.jwks()).keys).toHaveLength(1)
  })

  test('a manager started after the revocation refuses the kid at once and never signs with it', async () => {
    const { open } = setup()
    const a = open()
    const alice = new Browser(a)
    const { accessToken } = await alice.signIn('alice')
    const { revokedKid } = await a.revokeCurrentKey()
    const late = open()
    await late.ready
    expect(await code(verifyToken(late, accessToken))).toBe('try_refresh')
    expect((await late.jwks()).keys.map((k) => k.kid)).not.toContain(revokedKid)
    const carol = await new Browser(late).signIn('carol')
    expect(kidOf(carol.accessToken)).not.toBe(revokedKid)
  })

  test('revoking an older key keeps the signer; revoking the signer while a key is pending makes that one sign at once', async () => {
    const { clock, open } = setup()
    const a = open()
    const alice = new Browser(a)
    const { accessToken: oldToken } = await alice.signIn('alice')
    const oldKid = kidOf(oldToken)
    await a.rotateKeys() // pending: signs after the activation delay
    clock.advance(10 * 60 * 1000) // past it: the new key signs, the old one is retired but valid
    const { accessToken: midToken } = await new Browser(a).signIn('bob')
    const midKid = kidOf(midToken)
    expect(midKid).not.toBe(oldKid)
    const retired = await a.revokeKey(oldKid)
    expect(retired).toMatchObject({ outcome: 'revoked', revokedKid: oldKid, currentKid: midKid })
    expect((await a.jwks()).keys.map((k) => k.kid)).toEqual([midKid])

    await a.rotateKeys()
    const pendingKid = (await a.jwks()).keys.at(-1)!.kid as string
    expect(kidOf((await new Browser(a).signIn('carol')).accessToken)).toBe(midKid) // still pending
    const current = await a.revokeKey(midKid)
    expect(current.currentKid).toBe(pendingKid)
    expect(kidOf((await new Browser(a).signIn('dave')).accessToken)).toBe(pendingKid)
    expect(await code(verifyToken(a, midToken))).toBe('try_refresh')
  })
})

describe('the replacement signs at once, even while an older key is still valid', () => {
  test('revokeCurrentKey right after a rotation: the replacement signs, not the key before', async () => {
    const { memoryStore } = await import('./stores/memory.js')
    const clock = fakeClock(Date.now())
    const sessions = createSessionManager({ store: memoryStore(), now: clock.now })
    const first = kidOf((await new Browser(sessions).signIn('alice')).accessToken)
    await sessions.rotateKeys()
    clock.advance(2 * 60 * 1000 + 1) // the new key signs; the first still verifies its tokens
    const second = kidOf((await new Browser(sessions).signIn('bob')).accessToken)
    expect((await sessions.jwks()).keys.map((k) => k.kid)).toEqual([first, second])
    const { revokedKid, currentKid } = await sessions.revokeCurrentKey()
    expect(revokedKid).toBe(second)
    expect(kidOf((await new Browser(sessions).signIn('carol')).accessToken)).toBe(currentKid)
    expect(currentKid).not.toBe(first)
    await sessions.close()
  })
})

describe('key revocation with explicit keys', () => {
  const managers: SessionManager[] = []
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close()
  })
  const explicitKey = async (kid: string) => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    return { kid, privateJwk: await exportJWK(privateKey) }
  }

  test('revokeCurrentKey is a TypeError; revokeKey refuses the last unrevoked key, and otherwise revokes everywhere', async () => {
    const { memoryStore } = await import('./stores/memory.js')
    const store = memoryStore()
    const keys = [await explicitKey('old-key'), await explicitKey('new-key')]
    const a = createSessionManager({ store, keys })
    const b = createSessionManager({ store, keys })
    managers.push(a, b)
    await Promise.all([a.ready, b.ready])
    await expect(a.revokeCurrentKey()).rejects.toThrow(TypeError)
    const { accessToken } = await new Browser(a).signIn('alice')
    expect(kidOf(accessToken)).toBe('new-key')
    // The leaked signer can go: the key before it in the list signs now, on every instance.
    expect(await a.revokeKey('new-key')).toEqual({
      outcome: 'revoked',
      revokedKid: 'new-key',
      currentKid: 'old-key',
    })
    expect(await code(verifyToken(b, accessToken))).toBe('try_refresh')
    expect(kidOf((await new Browser(b).signIn('bob')).accessToken)).toBe('old-key')
    expect((await b.jwks()).keys.map((k) => k.kid)).toEqual(['old-key'])
    await expect(b.revokeKey('old-key')).rejects.toThrow(/add its replacement to the `keys` option/)
    expect((await a.jwks()).keys.map((k) => k.kid)).toEqual(['old-key'])
    await store.close()
  })
})
