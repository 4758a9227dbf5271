/**
 * The bound client against the real server package over HTTP (express on 127.0.0.1), header
 * transport (Node has no cookie jar): proofs made by `signProof` with a non-extractable WebCrypto
 * key are what the server's verifier accepts, a copy of the tokens without the key cannot
 * refresh, and a lost key signs out with `key_lost` without a request.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
// The server package from source: this test is about the two packages agreeing on the wire.
import { createSession, latchMiddleware } from '../../../server/src/adapters/express.js'
import { createSessionManager } from '../../../server/src/createSessionManager.js'
import { memoryStore } from '../../../server/src/stores/memory.js'
import { createSessionClient } from '../createSessionClient'
import { processLock } from '../locks/processLock'
import { memoryStorage, type StateStorage } from '../storage'
import type { SignedOutReason } from '../types'
import { createBoundSessionClient, PROOF_HEADER } from './createBoundSessionClient'
import type { ProofSigner } from './ProofSigner'
import { type PublicJwk, signProof } from './proof'

/** A signer with a non-extractable key in memory; `lose()` forgets it (cleared site data). */
async function memorySigner(): Promise<ProofSigner & { lose(): void; made: number }> {
  let key: { privateKey: CryptoKey; jwk: PublicJwk } | null = null
  const signer = {
    made: 0,
    lose: () => {
      key = null
    },
    async sign(method: string, url: string, { now, create }: { now: number; create: boolean }) {
      if (!key && create) {
        const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
        key = { privateKey: pair.privateKey, jwk: { kty, crv, x, y } as PublicJwk }
      }
      if (!key) return null
      signer.made++
      return signProof(key.privateKey, key.jwk, method, url, now)
    },
  }
  return signer
}

const failures: unknown[] = []
const proofsSeen: (string | undefined)[] = []
const sessions = createSessionManager({
  store: memoryStore(),
  onBindingFailure: (event) => {
    failures.push(event)
  },
})
let base = ''
let close: () => Promise<void>

beforeAll(async () => {
  const app = express()
  app.use((req, _res, next) => {
    if (req.path.startsWith('/auth/session/')) proofsSeen.push(req.get(PROOF_HEADER))
    next()
  })
  app.use(latchMiddleware(sessions))
  app.post('/api/login', express.json(), async (req, res, next) => {
    try {
      const created = await createSession(sessions, req, res, { userId: String(req.body.userId) })
      res.json({ bound: created.session.bound })
    } catch (error) {
      next(error)
    }
  })
  const listener = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => listener.once('listening', resolve))
  base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
  close = () => new Promise((resolve) => listener.close(() => resolve()))
})

afterAll(async () => {
  await close()
  await sessions.close()
})

function client(signer: ProofSigner | null | undefined, storage: StateStorage | null = memoryStorage()) {
  const latch = createBoundSessionClient({
    apiBase: base,
    transport: 'header',
    ...(storage ? { storage } : {}),
    lock: processLock(),
    proactiveRefresh: false,
    signer,
  })
  const reasons: SignedOutReason[] = []
  latch.on('signedOut', ({ reason }) => reasons.push(reason))
  const signIn = () =>
    latch.signIn(async () => {
      const response = await latch.fetch(`${base}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'alice' }),
      })
      return (await response.json()) as { bound: boolean }
    })
  return { latch, reasons, signIn, storage: storage! }
}

describe('createBoundSessionClient against @latch/server', () => {
  it('binds at sign-in, proves every refresh, and a copy of the tokens without the key cannot refresh', async () => {
    const signer = await memorySigner()
    const owner = client(signer)
    expect(await owner.signIn()).toEqual({ bound: true })
    const sessionId = owner.latch.getSnapshot().session!.sessionId
    expect((await sessions.listUserSessions('alice', sessionId)).find((s) => s.current)?.bound).toBe(true)
    for (let i = 1; i <= 2; i++) expect((await owner.latch.refresh())?.generation).toBe(i)

    // The thief has the whole storage (tokens included) but not the key.
    const stolen = memoryStorage()
    for (const name of ['latch.front', 'latch.access', 'latch.refresh']) {
      const value = owner.storage.getItem(name)
      if (value !== null) stolen.setItem(name, value)
    }
    const thief = client(null, stolen)
    expect(thief.latch.getSnapshot().session?.sessionId).toBe(sessionId)
    expect(await thief.latch.refresh()).toBeNull()
    expect(thief.reasons).toEqual(['unauthorized'])
    await vi.waitFor(() => expect(failures).toHaveLength(1))

    // The owner never noticed.
    expect((await owner.latch.refresh())?.generation).toBe(3)
    expect(owner.reasons).toEqual([])
    owner.latch.destroy()
    thief.latch.destroy()
  })

  it('a lost key signs out with key_lost, without asking the server', async () => {
    const signer = await memorySigner()
    const owner = client(signer)
    expect(await owner.signIn()).toEqual({ bound: true })
    signer.lose()
    const before = proofsSeen.length
    expect(await owner.latch.refresh()).toBeNull()
    expect(owner.reasons).toEqual(['key_lost'])
    expect(owner.latch.getSnapshot().status).toBe('unauthenticated')
    expect(proofsSeen.length).toBe(before)
    // Signing in again makes a new key and a new bound session.
    expect(await owner.signIn()).toEqual({ bound: true })
    expect(await owner.latch.refresh()).not.toBeNull()
    owner.latch.destroy()
  })

  it("header transport with the core's own memory storage: the binding is read from the answers", async () => {
    const signer = await memorySigner()
    const owner = client(signer, null)
    expect(await owner.signIn()).toEqual({ bound: true })
    const made = signer.made
    expect((await owner.latch.refresh())?.generation).toBe(1)
    expect(signer.made).toBe(made + 1)
    signer.lose()
    expect(await owner.latch.refresh()).toBeNull()
    expect(owner.reasons).toEqual(['key_lost'])
    owner.latch.destroy()
  })

  it('signs out a bound session with a proof, so the server revokes it', async () => {
    const signer = await memorySigner()
    const owner = client(signer)
    await owner.signIn()
    const sessionId = owner.latch.getSnapshot().session!.sessionId
    await owner.latch.signOut()
    expect(owner.reasons).toEqual(['signout'])
    expect((await sessions.listUserSessions('alice')).map((s) => s.id)).not.toContain(sessionId)
    owner.latch.destroy()
  })

  it('works unbound where no key can be made (no IndexedDB here), and with signer: null', async () => {
    for (const signer of [undefined, null]) {
      const plain = client(signer)
      expect(await plain.signIn()).toEqual({ bound: false })
      expect((await plain.latch.refresh())?.generation).toBe(1)
      plain.latch.destroy()
    }
    // An unbound session's refresh carries no proof.
    expect(proofsSeen.at(-1)).toBeUndefined()
  })

  it('rejects a signer that is not one', () => {
    expect(() => createBoundSessionClient({ signer: {} as ProofSigner })).toThrow(/signer/)
    expect(typeof createSessionClient).toBe('function')
  })
})
