/**
 * Options of {@link createSessionManager}, validated once at creation: a bad option is a
 * `TypeError` naming it, thrown before any request is served. The options as an application
 * writes them, with their documented defaults, are in `SessionManagerOptions.ts`; this module
 * checks them and applies those defaults.
 * @module
 */
import { type Duration, parseDuration } from './durations.js'
import { pooledRandomBytes } from './encoding.js'
import {
  type BindingFailureEvent,
  type BindingPolicy,
  DEFAULT_VERIFY_CACHE_SIZE,
  type ExplicitKey,
  type SessionManagerOptions,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type TheftEvent,
} from './SessionManagerOptions.js'
import type { SessionStore } from './stores/SessionStore.js'
import { type LegacyCookieLocation, resolveLegacyCookies } from './transport/cookies.js'

/** Options after validation, durations in milliseconds. */
export interface ResolvedOptions {
  store: SessionStore
  accessTokenTtl: number
  sessionTtl: number
  absoluteSessionTtl: number | null
  reuseGrace: number
  issuer: string
  audience: string | null
  algorithm: SigningAlgorithm
  keyRotationInterval: number
  keySyncInterval: number
  keys: ExplicitKey[] | null
  keyEncryptionSecret: string | null
  clockTolerance: number
  maxTokenAge: number
  basePath: string
  legacyCookies: LegacyCookieLocation[]
  verifyCacheSize: number
  now: () => number
  random: (size: number) => Uint8Array
  onTheftDetected: ((event: TheftEvent) => void | Promise<void>) | null
  binding: BindingPolicy
  onBindingFailure: ((event: BindingFailureEvent) => void | Promise<void>) | null
  publicClaims: readonly string[]
  warn: (message: string) => void
}

/**
 * Every option name, so a misspelled one is refused instead of silently ignored. Typed as a
 * record over the interface's keys: an option added to {@link SessionManagerOptions} and not
 * here fails the typecheck.
 */
const KNOWN_OPTIONS: Record<keyof SessionManagerOptions, true> = {
  store: true,
  accessTokenTtl: true,
  sessionTtl: true,
  absoluteSessionTtl: true,
  reuseGrace: true,
  issuer: true,
  audience: true,
  algorithm: true,
  keyRotationInterval: true,
  keySyncInterval: true,
  keys: true,
  keyEncryptionSecret: true,
  clockTolerance: true,
  maxTokenAge: true,
  basePath: true,
  legacyCookies: true,
  verifyCacheSize: true,
  now: true,
  random: true,
  publicClaims: true,
  onTheftDetected: true,
  warn: true,
  binding: true,
  onBindingFailure: true,
}

/** Latch's own claim names (kept here so options.ts needs no token module). */
const RESERVED_PUBLIC_CLAIMS = new Set(['sub', 'sid', 'iat', 'exp', 'nbf', 'iss', 'aud', 'typ', 'jti', 'cv'])

const STORE_METHODS = [
  'createSession',
  'getSession',
  'rotateSession',
  'revokeSessions',
  'listKeys',
  'addKey',
  'revokeKey',
  'listRevokedKeys',
  'updateSessionClaims',
  'listStaleMarks',
]

function fail(option: string, expectation: string): never {
  throw new TypeError(`The \`${option}\` option must be ${expectation}.`)
}

/** Levenshtein distance, small strings only (option names). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length]!
}

/** Refuses an option name Latch does not know, suggesting the closest known one. */
function checkNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(KNOWN_OPTIONS, name)) continue
    const lower = name.toLowerCase()
    let best: string | null = null
    let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1
    for (const known of Object.keys(KNOWN_OPTIONS)) {
      const d = distance(lower, known.toLowerCase())
      if (d < bestDistance) [best, bestDistance] = [known, d]
    }
    throw new TypeError(
      `Unknown option \`${name.slice(0, 64)}\`${best ? `: did you mean \`${best}\`?` : '.'} Known options: ${Object.keys(KNOWN_OPTIONS).join(', ')}.`,
    )
  }
}

function positive(value: unknown, option: string, fallback: Duration): number {
  const ms = parseDuration(value ?? fallback, option)
  if (ms <= 0) fail(option, 'a positive duration')
  return ms
}

/** Validates options, applying the documented defaults. Throws a `TypeError` naming the bad option. */
export function resolveOptions(options: SessionManagerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'an object')
  checkNames(options)
  const store = options.store
  if (
    typeof store !== 'object' ||
    store === null ||
    STORE_METHODS.some((m) => typeof (store as any)[m] !== 'function')
  ) {
    fail('store', 'a SessionStore, e.g. memoryStore() or sqliteStore({ path })')
  }
  const accessTokenTtl = positive(options.accessTokenTtl, 'accessTokenTtl', '10m')
  const sessionTtl = positive(options.sessionTtl, 'sessionTtl', '30d')
  const absoluteSessionTtl =
    options.absoluteSessionTtl == null ? null : positive(options.absoluteSessionTtl, 'absoluteSessionTtl', 0)
  // A token outliving its session would keep a signed-out-by-expiry user in until it expires.
  for (const [name, ttl] of [
    ['sessionTtl', sessionTtl],
    ['absoluteSessionTtl', absoluteSessionTtl],
  ] as const) {
    if (ttl !== null && accessTokenTtl > ttl) {
      fail('accessTokenTtl', `at most \`${name}\` (${ttl} ms): an access token must not outlive its session`)
    }
  }
  const reuseGrace = parseDuration(options.reuseGrace ?? '10s', 'reuseGrace')
  if (reuseGrace > 300_000) fail('reuseGrace', 'between 0 and 300 seconds')
  const issuer = options.issuer ?? 'latch'
  if (typeof issuer !== 'string' || issuer.length === 0) fail('issuer', 'a non-empty string')
  const audience = options.audience ?? null
  if (audience !== null && (typeof audience !== 'string' || audience.length === 0)) {
    fail('audience', 'a non-empty string')
  }
  const algorithm = options.algorithm ?? 'EdDSA'
  if (!SIGNING_ALGORITHMS.includes(algorithm)) fail('algorithm', `one of ${SIGNING_ALGORITHMS.join(', ')}`)
  const keys = options.keys ?? null
  if (keys !== null) {
    if (!Array.isArray(keys) || keys.length === 0) fail('keys', 'a non-empty array of { kid, privateJwk }')
    const kids = new Set<string>()
    for (const key of keys) {
      if (typeof key?.kid !== 'string' || !/^[\w-]{1,64}$/.test(key.kid) || kids.has(key.kid)) {
        fail('keys', 'an array of keys with unique `kid`s of 1–64 characters [A-Za-z0-9_-]')
      }
      kids.add(key.kid)
      if (
        typeof key.privateJwk !== 'object' ||
        key.privateJwk === null ||
        typeof key.privateJwk.d !== 'string'
      ) {
        fail('keys', 'an array of keys whose `privateJwk` is a private JWK')
      }
      const alg = key.alg ?? key.privateJwk.alg ?? algorithm
      if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) {
        fail('keys', `an array of keys with an algorithm among ${SIGNING_ALGORITHMS.join(', ')}`)
      }
    }
  }
  const keyEncryptionSecret = options.keyEncryptionSecret ?? null
  if (
    keyEncryptionSecret !== null &&
    (typeof keyEncryptionSecret !== 'string' || keyEncryptionSecret.length < 32)
  ) {
    fail('keyEncryptionSecret', 'a string of at least 32 characters')
  }
  const clockTolerance = parseDuration(options.clockTolerance ?? '5s', 'clockTolerance')
  if (clockTolerance > 300_000) fail('clockTolerance', 'at most 5 minutes')
  const maxTokenAge =
    options.maxTokenAge == null ? accessTokenTtl : positive(options.maxTokenAge, 'maxTokenAge', '10m')
  const basePath = options.basePath ?? '/auth/session'
  if (typeof basePath !== 'string' || !/^(\/[\w.~-]+)+$/.test(basePath)) {
    fail('basePath', "a path such as '/auth/session' (leading slash, no trailing slash)")
  }
  const verifyCacheSize = options.verifyCacheSize ?? DEFAULT_VERIFY_CACHE_SIZE
  if (!Number.isInteger(verifyCacheSize) || verifyCacheSize < 0)
    fail('verifyCacheSize', 'a non-negative integer')
  const publicClaims = options.publicClaims ?? []
  if (
    !Array.isArray(publicClaims) ||
    publicClaims.length > 32 ||
    new Set(publicClaims).size !== publicClaims.length ||
    publicClaims.some(
      (name) => typeof name !== 'string' || !/^[\w.:-]{1,64}$/.test(name) || RESERVED_PUBLIC_CLAIMS.has(name),
    )
  ) {
    fail(
      'publicClaims',
      "an array of at most 32 distinct application claim names (1–64 of [A-Za-z0-9_.:-], none of Latch's own: sub, sid, iat, exp, nbf, iss, aud, typ, jti, cv)",
    )
  }
  const binding = options.binding ?? 'optional'
  if (binding !== 'off' && binding !== 'optional' && binding !== 'required')
    fail('binding', "'off', 'optional' or 'required'")
  if (binding === 'required' && typeof store.claimNonce !== 'function')
    fail('binding', "'off' or 'optional' with a store without `claimNonce` ('required' needs it)")
  for (const name of ['now', 'random', 'onTheftDetected', 'onBindingFailure', 'warn'] as const) {
    if (options[name] != null && typeof options[name] !== 'function') fail(name, 'a function')
  }
  return {
    store,
    accessTokenTtl,
    sessionTtl,
    absoluteSessionTtl,
    reuseGrace,
    issuer,
    audience,
    algorithm,
    keyRotationInterval: positive(options.keyRotationInterval, 'keyRotationInterval', '7d'),
    keySyncInterval: positive(options.keySyncInterval, 'keySyncInterval', '1m'),
    keys,
    keyEncryptionSecret,
    clockTolerance,
    maxTokenAge,
    basePath,
    legacyCookies: resolveLegacyCookies(options.legacyCookies, basePath),
    verifyCacheSize,
    // Wrapped lazily so tests that replace globals (fake timers, spies) are honoured.
    now: options.now ?? (() => Date.now()),
    random: options.random ?? pooledRandomBytes,
    onTheftDetected: options.onTheftDetected ?? null,
    binding,
    onBindingFailure: options.onBindingFailure ?? null,
    publicClaims: Object.freeze([...publicClaims]),
    // Looked up at each call, like `now`, so a spy installed later is honoured.
    warn: options.warn ?? ((message) => console.warn(message)),
  }
}
