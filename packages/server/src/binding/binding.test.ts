import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { type ProofKey, proofKey } from '../../test/testProof.js'
import { createSessionManager } from '../createSessionManager.js'
import type { BindingFailureEvent } from '../refresh/binding.js'
import type { SessionManagerOptions } from '../SessionManagerOptions.js'
import { memoryStore } from '../stores/memory.js'
import type { SessionStore } from '../stores/SessionStore.js'
import { MAX_PROOF_LENGTH, PROOF_WINDOW_MS } from './proof.js'

const ORIGIN = 'http://api.test'
const LOGIN = `${ORIGIN}/api/login`
const REFRESH = `${ORIGIN}/auth/session/refresh`
const SIGNOUT = `${ORIGIN}/auth/session/signout`
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function setup(options: Partial<SessionManagerOptions> = {}, store: SessionStore = memoryStore()) {
  const failures: BindingFailureEvent[] = []
  const thefts: unknown[] = []
  const sessions = createSessionManager({
    store,
    onBindingFailure: (event) => {
      failures.push(event)
    },
    onTheftDetected: (event) => {
      thefts.push(event)
    },
    ...options,
  })
  return { sessions, store, failures, thefts }
}

type Manager = ReturnType<typeof setup>['sessions']

/** Signs in (header transport), with a proof by `key` when given. */
async function signIn(sessions: Manager, key?: ProofKey, proof?: string) {
  const headers: Record<string, string> = { 'x-latch-transport': 'header', 'user-agent': 'test-agent' }
  if (key) headers.dpop = proof ?? (await key.proof('POST', LOGIN))
  return sessions.create(new Request(LOGIN, { method: 'POST', headers }), { userId: 'alice' })
}

/** Calls refresh (or sign-out) with `token` and the given proof header (none when `undefined`). */
async function call(sessions: Manager, token: string, proof?: string, url = REFRESH) {
  const headers: Record<string, string> = {
    'x-latch-transport': 'header',
    authorization: `Bearer ${token}`,
    'user-agent': 'thief-agent',
  }
  if (proof !== undefined) headers.dpop = proof
  const response = (await sessions.handle(new Request(url, { method: 'POST', headers }), {
    ip: '203.0.113.9',
  }))!
  const body = await response.text()
  return {
    status: response.status,
    code: response.headers.get('x-latch-error'),
    refreshToken: response.headers.get('x-latch-refresh-token'),
    front: response.headers.get('x-latch-front-token'),
    body,
  }
}

/** A zero grace still covers the millisecond of the rotation: step past it. */
const pastTheGrace = () => new Promise((resolve) => setTimeout(resolve, 5))

const frontOf = (encoded: string | null) => JSON.parse(Buffer.from(encoded!, 'base64url').toString('utf8'))

async function generationOf(store: SessionStore, sessionId: string) {
  return (await store.getSession(sessionId))?.generation
}

describe('bound refresh (server)', () => {
  it('binds a session created with a valid proof; the listing and the front token say so', async () => {
    const { sessions, store } = setup()
    const key = await proofKey()
    const created = await signIn(sessions, key)
    expect(created.session.bound).toBe(true)
    expect(created.session.front.bnd).toBe(1)
    expect((await store.getSession(created.session.sessionId))?.binding).toBe(key.thumbprint)
    const [listed] = await sessions.listUserSessions('alice', created.session.sessionId)
    expect(listed).toMatchObject({ id: created.session.sessionId, bound: true, current: true })
    const unbound = await signIn(sessions)
    expect(unbound.session.bound).toBe(false)
    expect(unbound.session.front.bnd).toBeUndefined()
    await sessions.close()
  })

  it('refreshes a bound session with a proof by its key, again and again', async () => {
    const { sessions, failures } = setup()
    const key = await proofKey()
    let token = (await signIn(sessions, key)).refreshToken
    for (let i = 0; i < 3; i++) {
      const answer = await call(sessions, token, await key.proof('POST', REFRESH))
      expect(answer.status).toBe(200)
      expect(frontOf(answer.front)).toMatchObject({ gen: i + 1, bnd: 1 })
      token = answer.refreshToken!
    }
    expect(failures).toEqual([])
    await sessions.close()
  })

  it('refuses the current token without a proof: unauthorized, no rotation, no revocation, the hook told', async () => {
    const { sessions, store, failures } = setup()
    const key = await proofKey()
    const created = await signIn(sessions, key)
    const sid = created.session.sessionId
    const stolen = await call(sessions, created.refreshToken)
    expect(stolen).toMatchObject({ status: 401, code: 'unauthorized', refreshToken: null })
    expect(await generationOf(store, sid)).toBe(0)
    await vi.waitFor(() => expect(failures).toHaveLength(1))
    expect(failures[0]).toEqual({
      sessionId: sid,
      userId: 'alice',
      ip: '203.0.113.9',
      userAgent: 'thief-agent',
      endpoint: 'refresh',
      reason: 'missing',
    })
    // The owner is untouched: the very same token still refreshes with the key.
    expect((await call(sessions, created.refreshToken, await key.proof('POST', REFRESH))).status).toBe(200)
    await sessions.close()
  })

  describe('every kind of bad proof is unauthorized, rotates nothing, revokes nothing, never echoes the proof', async () => {
    const other = await proofKey()
    const cases: Array<[string, (key: ProofKey, now: number) => Promise<string>, string]> = [
      ['malformed (not a JWS)', async () => 'not-a-proof', 'malformed'],
      ['malformed (bad base64 JSON)', async () => 'e30.!!!.abc', 'malformed'],
      ['by another key', async (_key, now) => other.proof('POST', REFRESH, now), 'wrong_key'],
      [
        'for another URL',
        async (key, now) => key.proof('POST', `${ORIGIN}/auth/session/signout`, now),
        'wrong_url',
      ],
      [
        'for another host',
        async (key, now) => key.proof('POST', 'http://evil.test/auth/session/refresh', now),
        'wrong_url',
      ],
      ['for another method', async (key, now) => key.proof('GET', REFRESH, now), 'wrong_method'],
      [
        'iat far in the past',
        async (key, now) => key.proof('POST', REFRESH, now - 10 * 60_000),
        'iat_out_of_window',
      ],
      [
        'iat far in the future',
        async (key, now) => key.proof('POST', REFRESH, now + 10 * 60_000),
        'iat_out_of_window',
      ],
      [
        'oversized',
        async (key, now) =>
          key.proof('POST', REFRESH, now, { claims: { pad: 'x'.repeat(MAX_PROOF_LENGTH) } }),
        'oversized',
      ],
      [
        'alg: none',
        async (key, now) =>
          `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${b64({ htm: 'POST', htu: REFRESH, iat: Math.floor(now / 1000), jti: randomUUID() })}.`,
        'malformed',
      ],
      [
        'HMAC (HS256 keyed with the public key)',
        async (key, now) =>
          new SignJWT({ htm: 'POST', htu: REFRESH, iat: Math.floor(now / 1000), jti: randomUUID() })
            .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })
            .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
        'bad_header',
      ],
      [
        'embedded private key (d in the jwk)',
        async (key, now) => key.proof('POST', REFRESH, now, { header: { jwk: key.privateJwk } }),
        'bad_key',
      ],
      [
        'a public key that is not a point on the curve',
        async (key, now) =>
          key.proof('POST', REFRESH, now, {
            header: { jwk: { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'B'.repeat(43) } },
          }),
        'bad_key',
      ],
      [
        'a signature of the wrong length (DER instead of r‖s)',
        async (key, now) => {
          const [h, p, sig] = (await key.proof('POST', REFRESH, now)).split('.')
          return `${h}.${p}.${sig}AAAA`
        },
        'bad_signature',
      ],
      [
        'wrong typ',
        async (key, now) => key.proof('POST', REFRESH, now, { header: { typ: 'JWT' } }),
        'bad_header',
      ],
      [
        'a jku pointing elsewhere',
        async (key, now) => key.proof('POST', REFRESH, now, { header: { jku: 'http://evil.test/' } }),
        'bad_header',
      ],
      [
        'a jti too short',
        async (key, now) => key.proof('POST', REFRESH, now, { claims: { jti: 'x' } }),
        'bad_claims',
      ],
      [
        'no iat',
        async (key, now) => key.proof('POST', REFRESH, now, { claims: { iat: 'soon' } }),
        'bad_claims',
      ],
      [
        'a signature by another key under this jwk',
        async (key, now) => {
          const forged = await other.proof('POST', REFRESH, now)
          const [, payload, signature] = forged.split('.')
          return `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.${payload}.${signature}`
        },
        'bad_signature',
      ],
    ]
    for (const [name, make, reason] of cases) {
      it(name, async () => {
        const { sessions, store, failures } = setup()
        const key = await proofKey()
        const created = await signIn(sessions, key)
        const proof = await make(key, Date.now())
        const answer = await call(sessions, created.refreshToken, proof)
        expect(answer).toMatchObject({ status: 401, code: 'unauthorized', refreshToken: null })
        expect(answer.body).not.toContain(proof.slice(0, 40) || '\u0000')
        expect(answer.body).not.toContain(created.refreshToken)
        expect(await generationOf(store, created.session.sessionId)).toBe(0)
        await vi.waitFor(() => expect(failures.map((f) => f.reason)).toEqual([reason]))
        expect(JSON.stringify(failures)).not.toContain(proof.slice(0, 40) || '\u0000')
        // Nothing was revoked: the owner goes on.
        expect((await call(sessions, created.refreshToken, await key.proof('POST', REFRESH))).status).toBe(
          200,
        )
        await sessions.close()
      })
    }
  })

  it('accepts a proof once: the same jti again is refused, on another instance too', async () => {
    const store = memoryStore()
    const a = setup({}, store)
    const b = setup({}, store)
    const key = await proofKey()
    const created = await signIn(a.sessions, key)
    const proof = await key.proof('POST', REFRESH)
    const first = await call(a.sessions, created.refreshToken, proof)
    expect(first.status).toBe(200)
    // The replay carries the new token too (a thief who saw the whole exchange): still refused.
    const replayed = await call(b.sessions, first.refreshToken!, proof)
    expect(replayed).toMatchObject({ status: 401, code: 'unauthorized' })
    await vi.waitFor(() => expect(b.failures.map((f) => f.reason)).toEqual(['replayed']))
    expect(await generationOf(store, created.session.sessionId)).toBe(1)
    await a.sessions.close()
    await b.sessions.close()
  })

  it('a copied old token is no theft for a bound session: refused, the owner keeps the session', async () => {
    const { sessions, store, failures, thefts } = setup({ reuseGrace: 0 })
    const key = await proofKey()
    const created = await signIn(sessions, key)
    const next = await call(sessions, created.refreshToken, await key.proof('POST', REFRESH))
    expect(next.status).toBe(200)
    await pastTheGrace()
    const stale = await call(sessions, created.refreshToken)
    expect(stale).toMatchObject({ status: 401, code: 'unauthorized' })
    expect(thefts).toEqual([])
    expect(await store.getSession(created.session.sessionId)).not.toBeNull()
    await vi.waitFor(() => expect(failures).toHaveLength(1))
    expect((await call(sessions, next.refreshToken!, await key.proof('POST', REFRESH))).status).toBe(200)
    await sessions.close()
  })

  it('an unbound session still gets theft detection, and a proof changes nothing for it', async () => {
    const { sessions, store, thefts } = setup({ reuseGrace: 0 })
    const created = await signIn(sessions)
    const other = await proofKey()
    const next = await call(sessions, created.refreshToken, await other.proof('POST', REFRESH))
    expect(next.status).toBe(200)
    expect(frontOf(next.front).bnd).toBeUndefined()
    await pastTheGrace()
    const reused = await call(sessions, created.refreshToken)
    expect(reused).toMatchObject({ status: 401, code: 'token_theft_detected' })
    expect(await store.getSession(created.session.sessionId)).toBeNull()
    await vi.waitFor(() => expect(thefts).toHaveLength(1))
    await sessions.close()
  })

  it('sign-out of a bound session needs its key; without it nothing is revoked', async () => {
    const { sessions, store, failures } = setup()
    const key = await proofKey()
    const created = await signIn(sessions, key)
    const refused = await call(sessions, created.refreshToken, undefined, SIGNOUT)
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' })
    expect(await store.getSession(created.session.sessionId)).not.toBeNull()
    await vi.waitFor(() => expect(failures.map((f) => f.endpoint)).toEqual(['signout']))
    const done = await call(sessions, created.refreshToken, await key.proof('POST', SIGNOUT), SIGNOUT)
    expect(done.status).toBe(200)
    expect(await store.getSession(created.session.sessionId)).toBeNull()
    await sessions.close()
  })

  it('a bad proof at sign-in leaves the session unbound (optional); required refuses it', async () => {
    const key = await proofKey()
    const optional = setup()
    const stale = await key.proof('POST', LOGIN, Date.now() - 2 * PROOF_WINDOW_MS)
    expect((await signIn(optional.sessions, key, stale)).session.bound).toBe(false)
    await optional.sessions.close()

    const required = setup({ binding: 'required' })
    await expect(signIn(required.sessions)).rejects.toMatchObject({ code: 'unauthorized' })
    await expect(signIn(required.sessions, key, stale)).rejects.toMatchObject({ code: 'unauthorized' })
    expect(await required.store.listUserSessions('alice', Date.now())).toEqual([])
    const bound = await signIn(required.sessions, key)
    expect(bound.session.bound).toBe(true)
    expect((await call(required.sessions, bound.refreshToken, await key.proof('POST', REFRESH))).status).toBe(
      200,
    )
    await required.sessions.close()
  })

  it('required refuses to refresh a session left unbound from before; off ignores proofs and binding', async () => {
    const store = memoryStore()
    const optional = setup({}, store)
    const key = await proofKey()
    const unbound = await signIn(optional.sessions)
    const bound = await signIn(optional.sessions, key)
    await optional.sessions.close()

    const required = setup({ binding: 'required' }, store)
    const refused = await call(required.sessions, unbound.refreshToken, await key.proof('POST', REFRESH))
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' })
    expect(await generationOf(store, unbound.session.sessionId)).toBe(0)
    await required.sessions.close()

    const off = setup({ binding: 'off' }, store)
    expect((await signIn(off.sessions, key)).session.bound).toBe(false)
    // The way back: a session bound earlier refreshes without a proof.
    expect((await call(off.sessions, bound.refreshToken)).status).toBe(200)
    expect(off.failures).toEqual([])
    await off.sessions.close()
  })

  it('validates the options', () => {
    const store = memoryStore()
    expect(() => createSessionManager({ store, binding: 'sometimes' as never })).toThrow(/`binding`/)
    expect(() => createSessionManager({ store, onBindingFailure: 'yes' as never })).toThrow(
      /`onBindingFailure`/,
    )
    const { claimNonce: _, ...withoutNonces } = store
    expect(() => createSessionManager({ store: withoutNonces as SessionStore, binding: 'required' })).toThrow(
      /`binding`/,
    )
  })

  it('cookie transport: a bound session refreshes with its proof and refuses a copied jar', async () => {
    const { sessions, failures } = setup()
    const key = await proofKey()
    const created = await sessions.create(
      new Request(LOGIN, { method: 'POST', headers: { dpop: await key.proof('POST', LOGIN) } }),
      { userId: 'alice' },
    )
    const jar = created.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const refresh = async (proof?: string) => {
      const headers: Record<string, string> = { cookie: jar, 'x-latch-csrf': '1' }
      if (proof) headers.dpop = proof
      return (await sessions.handle(new Request(REFRESH, { method: 'POST', headers })))!
    }
    const copy = await refresh()
    expect(copy.status).toBe(401)
    expect(copy.headers.get('x-latch-error')).toBe('unauthorized')
    const owner = await refresh(await key.proof('POST', REFRESH))
    expect(owner.status).toBe(200)
    await vi.waitFor(() => expect(failures).toHaveLength(1))
    await sessions.close()
  })
})
