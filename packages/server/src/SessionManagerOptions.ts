/**
 * The options of {@link createSessionManager} as an application writes them: each option with its
 * TSDoc and documented default, and the types its callbacks receive. `options.ts` checks them
 * and applies the defaults.
 * @module
 */
import type { JWK } from 'jose'
import type { ProofFailure } from './binding/proof.js'
import type { Duration } from './durations.js'
import type { SessionStore } from './stores/SessionStore.js'
import type { LegacyCookieLocation } from './transport/cookies.js'

/** What `onBindingFailure` receives. */
export interface BindingFailureEvent {
  sessionId: string
  userId: string
  /** IP of the request that failed, when known. */
  ip: string | null
  /** User agent of the request that failed. */
  userAgent: string | null
  /** Which request: `refresh` or `signout`. */
  endpoint: 'refresh' | 'signout'
  /** Why: no proof, or the check it failed (`wrong_key` when a valid proof was by another key). */
  reason: ProofFailure | 'missing' | 'wrong_key'
}
/** Asymmetric JWS algorithms Latch signs access tokens with (public keys go to the JWKS). */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'ES384' | 'PS256' | 'RS256'

/** The algorithms accepted for {@link SessionManagerOptions.algorithm}. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256']

/** Default of {@link SessionManagerOptions.verifyCacheSize}. */
export const DEFAULT_VERIFY_CACHE_SIZE = 200_000

/** A signing key given explicitly (e.g. from a secret manager) instead of keys kept in the store. */
export interface ExplicitKey {
  /** Key id put in the token header; unique among the keys. */
  kid: string
  /** The private key as a JWK (with its public members). */
  privateJwk: JWK
  /** Its algorithm. Defaults to the `alg` member of the JWK, then to the `algorithm` option. */
  alg?: SigningAlgorithm
}

/** What {@link SessionManagerOptions.onTheftDetected} receives. */
export interface TheftEvent {
  sessionId: string
  userId: string
  /** IP of the request that presented the reused token, when known. */
  ip: string | null
  /** User agent of the request that presented the reused token. */
  userAgent: string | null
}

/** Options of `createSessionManager`. */
export interface SessionManagerOptions {
  /** Where sessions, keys and revocations live, e.g. `memoryStore()` or `sqliteStore({ path })`. Required. */
  store: SessionStore
  /** Lifetime of an access token. Defaults to `'10m'`. */
  accessTokenTtl?: Duration
  /** Idle timeout of a session: it slides forward on every refresh. Defaults to `'30d'`. */
  sessionTtl?: Duration
  /** Absolute cap on a session's life, however active. Defaults to none (`null`). */
  absoluteSessionTtl?: Duration | null
  /** How long the previous refresh token gets the same successor back (0–300 s). Defaults to `'10s'`. */
  reuseGrace?: Duration
  /** The `iss` claim, pinned on verification. Defaults to `'latch'`. */
  issuer?: string
  /** The `aud` claim, pinned on verification when set. Defaults to none. */
  audience?: string
  /** Algorithm for newly generated keys; a change takes effect at the next key rotation. Defaults to `'EdDSA'`. */
  algorithm?: SigningAlgorithm
  /** How often a new signing key is generated. Defaults to `'7d'`. */
  keyRotationInterval?: Duration
  /**
   * How often an instance re-reads the key list from the store. A new key starts signing only
   * after twice this delay, so every instance knows it before tokens carry it. Defaults to `'1m'`.
   */
  keySyncInterval?: Duration
  /** Explicit signing keys (the last one signs); disables store-kept keys and automatic rotation. Defaults to none. */
  keys?: ExplicitKey[]
  /** Secret (≥ 32 characters) that encrypts private keys at rest in the store. Defaults to none (stored as JWK). */
  keyEncryptionSecret?: string
  /** Clock skew tolerated when checking `iat`/`exp`. Defaults to `'5s'`. */
  clockTolerance?: Duration
  /** Oldest `iat` accepted, whatever `exp` says. Defaults to `accessTokenTtl`. */
  maxTokenAge?: Duration
  /** Base path of the refresh / signout / jwks endpoints. Defaults to `'/auth/session'`. */
  basePath?: string
  /**
   * Old places of the session cookies (a former `basePath`, a former cookie `Domain`): every
   * answer that sets or clears the session cookies also expires the copies there, so a stray
   * copy left by a configuration change goes away at the next refresh. At most 8. Defaults to none.
   * @example legacyCookies: [{ path: '/auth' }, { domain: 'example.com' }]
   */
  legacyCookies?: LegacyCookieLocation[]
  /**
   * Maximum number of verified access tokens remembered (0 disables the cache). Size it to the
   * active set: past it, requests pay a signature check. An entry takes about 105 B (measured
   * with 10-character user ids; 128 B with UUIDs), taken as entries arrive, not up front.
   * Defaults to `200000` (100 000 active sessions with two live tokens each around a refresh;
   * about 21 MB when full).
   */
  verifyCacheSize?: number
  /** The clock, epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number
  /** Fills a new array with `size` cryptographically random bytes. Defaults to the platform CSPRNG (`node:crypto`, pooled). */
  random?: (size: number) => Uint8Array
  /**
   * Names of application claims that also travel in the front token, so browser code (the
   * client's `getSnapshot()`, React's `useSession()`) can show them: a display name, a role.
   * Anything listed here is readable by every script on the page; never list secrets.
   * Defaults to `[]`.
   */
  publicClaims?: string[]
  /** Called after a reused refresh token revoked a session. Errors it throws are ignored. Defaults to none. */
  onTheftDetected?: (event: TheftEvent) => void | Promise<void>
  /**
   * Where Latch's configuration warnings go, each at most once per manager (today one: a
   * session created over plain HTTP on a host that is not loopback, whose `Secure` cookies the
   * browser drops). Never given a token. Defaults to `console.warn`.
   */
  warn?: (message: string) => void
  /**
   * Bound refresh (README "Bound refresh"): a session created with a valid key proof (the `DPoP`
   * header that `@latch/client/bound` sends with the sign-in) is bound to that key, and its
   * refresh and sign-out then need a proof by it.
   * - `'optional'`: bind when the sign-in brings a valid proof; other sessions work unbound.
   * - `'required'`: `create` without a valid proof rejects `unauthorized`, and an unbound session
   *   cannot refresh.
   * - `'off'`: proofs are ignored, and sessions bound earlier refresh without one (the way back).
   * Needs a store with `claimNonce` (all of Latch's do); with another store, `optional` acts as
   * `off` and `required` is a `TypeError`. Defaults to `'optional'`.
   */
  binding?: BindingPolicy
  /**
   * Called when a bound session's refresh or sign-out came without a valid proof by its key (a
   * copied cookie jar or a stolen token: nothing was rotated or revoked, the owner keeps
   * working). Errors it throws are ignored. Defaults to none.
   */
  onBindingFailure?: (event: BindingFailureEvent) => void | Promise<void>
}

/** See {@link SessionManagerOptions.binding}. */
export type BindingPolicy = 'off' | 'optional' | 'required'
