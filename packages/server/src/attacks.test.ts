/**
 * Hostile input: every forged, malformed or oversized token or cookie gets a 4xx with a code,
 * never a 5xx, and never causes a store write (the store is wrapped in a spy to prove it).
 */
import { createPrivateKey, sign } from 'node:crypto'
import { generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Browser, fakeClock, verifyToken } from '../test/harness.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import { isLatchError } from './errors.js'
import { memoryStore } from './stores/memory.js'
import type { SessionStore } from './stores/SessionStore.js'

const WRITES = [
  'createSession',
  'rotateSession',
  'revokeSessions',
  'revokeUserSessions',
  'addKey',
  'deleteKeys',
  'getOrCreateSecret',
  'deleteExpired',
]

/** Wraps a store, counting calls to methods that write. */
function spyStore(inner: SessionStore) {
  const writes: string[] = []
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (WRITES.includes(String(property))) writes.push(String(property))
        return value.apply(target, args)
      }
    },
  })
  return { store, writes }
}

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

let sessions: SessionManager
let writes: string[]
let token: string
let realKey: { kid: string; jwk: JWK }
let browser: Browser
const clock = fakeClock()

beforeAll(async () => {
  const spied = spyStore(memoryStore())
  writes = spied.writes
  sessions = createSessionManager({ store: spied.store, now: clock.now })
  browser = new Browser(sessions)
  token = (await browser.signIn('alice')).accessToken
  const [stored] = await spied.store.listKeys()
  realKey = { kid: stored!.kid, jwk: JSON.parse(stored!.privateJwk) }
  writes.length = 0
})
afterAll(() => sessions.close())

async function verifyCode(request: Request): Promise<string> {
  try {
    await sessions.verify(request)
  } catch (error) {
    if (!isLatchError(error)) throw error
    expect(error.status).toBeGreaterThanOrEqual(400)
    expect(error.status).toBeLessThan(500)
    expect(error.message).not.toContain(token.split('.')[2])
    return error.code
  }
  throw new Error('accepted a hostile token')
}
const bearer = (value: string) =>
  verifyCode(new Request('http://localhost/api', { headers: { authorization: `Bearer ${value}` } }))
const cookie = (value: string) =>
  verifyCode(new Request('http://localhost/api', { headers: { cookie: value } }))

async function signedWithRealKey(header: Record<string, unknown>, payload: Record<string, unknown> = {}) {
  const key = await importJWK(realKey.jwk, 'EdDSA')
  const now = Math.floor(clock.now() / 1000)
  return new SignJWT({ sid: 'x', sub: 'mallory', iss: 'latch', iat: now, exp: now + 600, ...payload })
    .setProtectedHeader({ alg: 'EdDSA', kid: realKey.kid, typ: 'latch+jwt', ...header } as never)
    .sign(key)
}

describe('forged access tokens', () => {
  test('the genuine token verifies (the attacks below are not failing for a trivial reason)', async () => {
    expect((await verifyToken(sessions, token)).userId).toBe('alice')
  })

  test('tampered payload', async () => {
    const [h, p, s] = token.split('.')
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString())
    expect(await bearer(`${h}.${b64({ ...payload, sub: 'admin' })}.${s}`)).toBe('try_refresh')
  })

  test('stripped signature', async () => {
    const [h, p] = token.split('.')
    expect(await bearer(`${h}.${p}.`)).toBe('try_refresh')
    expect(await bearer(`${h}.${p}`)).toBe('try_refresh')
  })

  test('alg none in any case', async () => {
    const [, p] = token.split('.')
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      expect(await bearer(`${b64({ alg, kid: realKey.kid, typ: 'latch+jwt' })}.${p}.`)).toBe('try_refresh')
      expect(await bearer(`${b64({ alg, typ: 'latch+jwt' })}.${p}.AAAA`)).toBe('try_refresh')
    }
  })

  test('HS256 signed with the public key', async () => {
    const publicJwk = (await sessions.jwks()).keys[0]!
    const now = Math.floor(clock.now() / 1000)
    for (const secret of [
      Buffer.from(publicJwk.x as string, 'base64url'),
      Buffer.from(JSON.stringify(publicJwk)),
    ]) {
      const forged = await new SignJWT({ sid: 'x', iss: 'latch', sub: 'admin', iat: now, exp: now + 600 })
        .setProtectedHeader({ alg: 'HS256', kid: realKey.kid, typ: 'latch+jwt' })
        .sign(secret)
      expect(await bearer(forged)).toBe('try_refresh')
    }
  })

  test('algorithm swap to another asymmetric algorithm with the real kid', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const now = Math.floor(clock.now() / 1000)
    const forged = await new SignJWT({ sid: 'x', iss: 'latch', sub: 'admin', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'ES256', kid: realKey.kid, typ: 'latch+jwt' })
      .sign(privateKey)
    expect(await bearer(forged)).toBe('try_refresh')
  })

  test('embedded jwk / jku / x5u pointing at the attacker key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true })
    const { exportJWK } = await import('jose')
    const jwk = await exportJWK(publicKey)
    const now = Math.floor(clock.now() / 1000)
    for (const extra of [
      { jwk },
      { jku: 'https://evil.example/jwks.json' },
      { x5u: 'https://evil.example/cert' },
    ]) {
      for (const kid of [realKey.kid, 'attacker']) {
        const forged = await new SignJWT({ sid: 'x', iss: 'latch', sub: 'admin', iat: now, exp: now + 600 })
          .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'latch+jwt', ...extra })
          .sign(privateKey)
        expect(await bearer(forged)).toBe('try_refresh')
      }
    }
    // Even with the real key, an embedded key header is refused outright.
    expect(await bearer(await signedWithRealKey({ jku: 'https://evil.example/jwks.json' }))).toBe(
      'try_refresh',
    )
  })

  test('kid injection', async () => {
    const [, p, s] = token.split('.')
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", 'k'.repeat(500), '', 42, null, { $ne: 1 }]) {
      expect(await bearer(`${b64({ alg: 'EdDSA', kid, typ: 'latch+jwt' })}.${p}.${s}`)).toBe('try_refresh')
    }
  })

  test('crit header, wrong or missing typ, wrong issuer, missing claims — even with the real key', async () => {
    // jose refuses to sign an unknown crit, so sign by hand with the real key.
    const header = b64({ alg: 'EdDSA', kid: realKey.kid, typ: 'latch+jwt', crit: ['exp'] })
    const body = token.split('.')[1]
    const signature = sign(
      null,
      Buffer.from(`${header}.${body}`),
      createPrivateKey({ key: realKey.jwk as never, format: 'jwk' }),
    )
    expect(await bearer(`${header}.${body}.${signature.toString('base64url')}`)).toBe('try_refresh')
    expect(await bearer(await signedWithRealKey({ typ: 'JWT' }))).toBe('try_refresh')
    expect(await bearer(await signedWithRealKey({ typ: undefined }))).toBe('try_refresh')
    expect(await bearer(await signedWithRealKey({}, { iss: 'evil' }))).toBe('try_refresh')
    expect(await bearer(await signedWithRealKey({}, { sid: undefined }))).toBe('try_refresh')
    expect(await bearer(await signedWithRealKey({}, { sub: 42 }))).toBe('try_refresh')
    // Control: the same helper without a flaw produces an accepted token.
    expect((await verifyToken(sessions, await signedWithRealKey({}))).userId).toBe('mallory')
  })

  test('malformed and oversized tokens', async () => {
    for (const value of [
      'abc',
      '...',
      'a.b.c',
      `${b64('{')}.${b64('{')}.AAAA`,
      `${b64('\u00ff\u00fe')}.e30.AAAA`,
      '%%%.%%%.%%%',
    ]) {
      expect(await bearer(value)).toBe('try_refresh')
    }
    const [h, p, s] = token.split('.')
    expect(await bearer(`${h}.${p}${'A'.repeat(5000)}.${s}`)).toBe('try_refresh')
    // An 8 KB token, a 10 KB kid (too long for the 4 KB bound) and a 3 KB one (under it).
    expect(await bearer(`${h}.${p}${'A'.repeat(8192)}.${s}`)).toBe('try_refresh')
    for (const size of [10_240, 3000]) {
      const kid = 'k'.repeat(size)
      expect(await bearer(`${b64({ alg: 'EdDSA', kid, typ: 'latch+jwt' })}.${p}.${s}`)).toBe('try_refresh')
    }
    // A JSON-serialised JWS (RFC 7515 §7.2) as a Bearer token, with and without spaces.
    const json = JSON.stringify({ protected: h, payload: p, signature: s })
    expect(await bearer(json)).toBe('try_refresh')
    expect(await bearer(json.replace(/,/g, ', '))).toBe('try_refresh')
    // An unknown kid.
    expect(await bearer(`${b64({ alg: 'EdDSA', kid: 'unknown-kid', typ: 'latch+jwt' })}.${p}.${s}`)).toBe(
      'try_refresh',
    )
  })
})

describe('hostile cookies and headers', () => {
  test('duplicate, oversized and garbage cookies', async () => {
    // Duplicates whose copies are both unusable, oversized cookies and headers: refresh heals them.
    expect(await cookie('latch-access=a.b.c; latch-access=x.y.z')).toBe('try_refresh')
    expect(await cookie(`latch-access=${'a'.repeat(5000)}`)).toBe('try_refresh')
    expect(await cookie(`latch-access=${'a'.repeat(8192)}`)).toBe('try_refresh')
    expect(await cookie(`x=${'a'.repeat(20_000)}`)).toBe('try_refresh')
    expect(await cookie(`x=${'a'.repeat(20_000)}; latch-access=${token}`)).toBe('try_refresh')
    expect(await cookie('latch-access=%E0%A4%A')).toBe('try_refresh')
    expect(await cookie('latch-access="\u00ff\u00fe"')).toBe('try_refresh')
    expect(await cookie('latch-access')).toBe('try_refresh')
    // The application's own unrelated garbage cookies do not matter.
    expect(
      (
        await sessions.verify(
          new Request('http://localhost/api', { headers: { cookie: `junk=%%%; latch-access=${token}` } }),
        )
      ).userId,
    ).toBe('alice')
  })

  test('malformed Authorization and transport headers', async () => {
    expect(
      await verifyCode(new Request('http://localhost/api', { headers: { authorization: 'Bearer' } })),
    ).toBe('try_refresh')
    expect(
      await verifyCode(new Request('http://localhost/api', { headers: { authorization: 'Bearer a b' } })),
    ).toBe('try_refresh')
  })

  test('the endpoints answer hostile refresh and sign-out requests with 4xx codes', async () => {
    const hostile: [Record<string, string>, string][] = [
      [{ cookie: 'latch-refresh=a; latch-refresh=b', 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: `latch-refresh=${'a'.repeat(5000)}`, 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: `latch-refresh=${'a'.repeat(10_240)}`, 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: `x=${'a'.repeat(20_000)}`, 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: 'latch-refresh=garbage', 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: `latch-refresh=${'A'.repeat(22)}.${'B'.repeat(64)}`, 'x-latch-csrf': '1' }, 'unauthorized'],
      [{ cookie: `latch-refresh=${'A'.repeat(22)}.${'B'.repeat(64)}` }, 'csrf_failed'],
      [{ 'x-latch-transport': 'carrier-pigeon' }, 'unauthorized'],
      [
        { 'x-latch-transport': 'header', authorization: 'Bearer {"protected": "a", "payload": "b"}' },
        'unauthorized',
      ],
      [{ 'x-latch-transport': 'header', authorization: 'Bearer ..' }, 'unauthorized'],
      [{ 'x-latch-transport': 'header' }, 'unauthorized'],
    ]
    for (const [headers, expected] of hostile) {
      const response = (await sessions.handle(
        new Request('http://localhost/auth/session/refresh', { method: 'POST', headers }),
      ))!
      expect([response.status, response.headers.get('x-latch-error')]).toEqual([
        expected === 'csrf_failed' ? 403 : 401,
        expected,
      ])
      expect(await response.json()).toMatchObject({ error: expected })
    }
    const wrongMethod = (await sessions.handle(new Request('http://localhost/auth/session/refresh')))!
    expect([wrongMethod.status, wrongMethod.headers.get('x-latch-error')]).toEqual([
      405,
      'method_not_allowed',
    ])
    expect(await sessions.handle(new Request('http://localhost/auth/session/other'))).toBeNull()
    expect(await sessions.handle(new Request('http://localhost/elsewhere'))).toBeNull()
  })

  test('none of the above wrote to the store', () => {
    expect(writes).toEqual([])
  })
})
