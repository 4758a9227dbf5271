/**
 * `createBoundSessionClient`: the session client with bound refresh (DESIGN "Bound refresh").
 * It is `createSessionClient` with a `fetch` that adds a key proof (the `DPoP` header) to every
 * refresh and sign-out of a bound session and to the requests of a `signIn(fn)`, so the core
 * (and its size budget) stays as it is. A bound session whose key is gone is signed out locally
 * with the reason `key_lost`, without asking the server (which would only refuse and report it).
 * @module
 */
import { createSessionClient } from '../createSessionClient'
import { apiBaseUrl, isSameOriginApi } from '../endpoints'
import { InvalidOptionError } from '../errors'
import { FRONT_COOKIE_NAMES } from '../frontToken'
import type { SessionClientOptions } from '../options'
import { browserLocalStorage, type StateStorage } from '../storage'
import { ERROR_HEADER, FRONT_TOKEN_HEADER } from '../transport'
import type { SessionClient } from '../types'
import { indexedDbProofSigner } from './indexedDbProofSigner'
import type { ProofSigner } from './ProofSigner'

/** The request header the proof rides in (RFC 9449's name). */
export const PROOF_HEADER = 'dpop'

/** The code of the local answer that ends a bound session whose key is gone. */
export const KEY_LOST = 'key_lost'

/** Options of {@link createBoundSessionClient}: those of `createSessionClient`, plus the signer. */
export interface BoundSessionClientOptions extends SessionClientOptions {
  /**
   * Makes the key proofs. `null` turns binding off (exactly `createSessionClient`). Defaults to
   * `indexedDbProofSigner()`: a non-extractable P-256 key in IndexedDB, shared by the tabs.
   */
  signer?: ProofSigner | null
}

/** `bnd: 1` in a front token (`base64url(JSON)`): the session is bound to a key. */
function isBoundToken(value: string | null | undefined): boolean {
  try {
    const json = atob(value!.split(' ')[0]!.replace(/-/g, '+').replace(/_/g, '/'))
    return JSON.parse(json).bnd === 1
  } catch {
    return false
  }
}

function frontCookie(): string | null {
  try {
    const cookie = (globalThis as { document?: { cookie: string } }).document?.cookie ?? ''
    for (const name of FRONT_COOKIE_NAMES) {
      const match = new RegExp(`(?:^|;)\\s*${name}\\s*=([^;]*)`).exec(cookie)
      if (match) return match[1]!.trim()
    }
  } catch {}
  return null
}

/**
 * Creates a session client whose sessions are bound to a key where the browser allows it (see
 * the module description). Sign in through `signIn(fn)` so the sign-in request carries a proof:
 * only then does the server bind the session.
 *
 * @example
 * const latch = createBoundSessionClient({ apiBase: '/' })
 * await latch.signIn(() => latch.fetch('/api/login', { method: 'POST', body }))
 */
export function createBoundSessionClient(options: BoundSessionClientOptions = {}): SessionClient {
  const { signer: given, ...rest } = options ?? {}
  const signer = given === undefined ? indexedDbProofSigner() : given
  if (signer === null) return createSessionClient(rest)
  if (typeof signer?.sign !== 'function') throw new InvalidOptionError('signer', 'a ProofSigner or null')
  const clock = rest.now ?? (() => Date.now())
  const basePath = (rest.basePath ?? '/auth/session').replace(/\/+$/, '')
  const storageKey = `${rest.storageKey ?? 'latch'}.front`
  const header = rest.transport === 'header'
  // Where the core keeps the front token when it is not the cookie (see `createSessionClient`).
  const storage: StateStorage | null = rest.storage ?? (header ? null : browserLocalStorage())
  const baseFetch: typeof fetch = (input, init) =>
    (rest.fetch ?? globalThis.fetch).call(globalThis, input, init)
  /** Server time minus local time, from the last `Date` header seen; `null` before the first. */
  let offset: number | null = null
  /** The last front token seen in a response: the only copy in header mode with memory storage. */
  let lastFront: string | null = null
  let signingIn = 0

  const serverNow = () => clock() + (offset ?? 0)
  const learn = (response: Response) => {
    const date = Date.parse(response.headers.get('date') ?? '')
    // `Date` has whole seconds: the server's clock is within the second after it.
    if (date > 0) offset = date + 500 - clock()
    const front = response.headers.get(FRONT_TOKEN_HEADER)
    if (front !== null) lastFront = front
  }
  const bound = () =>
    isBoundToken(
      !header && isSameOriginApi(rest.apiBase) ? frontCookie() : (storage?.getItem(storageKey) ?? lastFront),
    )

  const boundFetch: typeof fetch = async (input, init) => {
    // The core hands over a finished Request: taken as it is unless a proof must be added.
    let request = input instanceof Request && init === undefined ? input : new Request(input, init)
    const api = apiBaseUrl(rest.apiBase)
    const url = new URL(request.url)
    let proof: string | null = null
    if (api && url.origin === api.origin) {
      const root = api.origin + api.pathname.replace(/\/+$/, '') + basePath
      const endpoint = [`${root}/refresh`, `${root}/signout`].includes(url.origin + url.pathname)
      if (endpoint) {
        if (bound()) {
          proof = await signer.sign(request.method, request.url, { now: serverNow(), create: false })
          // The key is gone (site data cleared, a storage purge): the session cannot be refreshed
          // or signed out on the server from here. Answered locally, so no request is wasted.
          if (proof === null)
            return new Response(null, { status: 401, headers: { [ERROR_HEADER]: KEY_LOST } })
        }
      } else if (signingIn > 0) {
        // The first sign-in of a page may come before any answer told the server's time.
        if (offset === null)
          await baseFetch(`${root}/jwks.json`, { method: 'HEAD', credentials: 'omit' }).then(learn, () => {})
        proof = await signer.sign(request.method, request.url, { now: serverNow(), create: true })
      }
    }
    if (proof !== null) {
      const headers = new Headers(request.headers)
      headers.set(PROOF_HEADER, proof)
      request = new Request(request, { headers })
    }
    const response = await baseFetch(request)
    // Only the API's answers tell its time and its front token.
    if (api && url.origin === api.origin) learn(response)
    return response
  }

  const client = createSessionClient({ ...rest, fetch: boundFetch })
  return {
    ...client,
    signIn: (fn) =>
      client.signIn(async () => {
        signingIn++
        try {
          return await fn()
        } finally {
          signingIn--
        }
      }),
  }
}
