import { describe, expect, test } from 'vitest'
import { parseDuration } from './durations.js'
import { resolveOptions } from './options.js'
import { memoryStore } from './stores/memory.js'

describe('parseDuration', () => {
  test('accepts units and milliseconds', () => {
    expect(parseDuration('10m', 'x')).toBe(600_000)
    expect(parseDuration('30d', 'x')).toBe(2_592_000_000)
    expect(parseDuration('1.5s', 'x')).toBe(1500)
    expect(parseDuration('250ms', 'x')).toBe(250)
    expect(parseDuration(0, 'x')).toBe(0)
  })

  test('names the option on bad values', () => {
    for (const bad of ['10', '10 minutes', '-5s', -1, 250, Number.NaN, Number.POSITIVE_INFINITY, null, {}]) {
      expect(() => parseDuration(bad, 'accessTokenTtl')).toThrow(/`accessTokenTtl`/)
    }
  })
})

describe('resolveOptions', () => {
  const store = memoryStore()

  test('applies documented defaults', () => {
    const resolved = resolveOptions({ store })
    expect(resolved).toMatchObject({
      accessTokenTtl: 600_000,
      sessionTtl: 2_592_000_000,
      absoluteSessionTtl: null,
      reuseGrace: 10_000,
      issuer: 'latch',
      audience: null,
      algorithm: 'EdDSA',
      keyRotationInterval: 604_800_000,
      clockTolerance: 5_000,
      maxTokenAge: 600_000,
      basePath: '/auth/session',
    })
  })

  test.each([
    ['store', { store: {} }],
    ['accessTokenTtl', { store, accessTokenTtl: 0 }],
    ['reuseGrace', { store, reuseGrace: '301s' }],
    ['algorithm', { store, algorithm: 'HS256' }],
    ['basePath', { store, basePath: 'auth/' }],
    ['keyEncryptionSecret', { store, keyEncryptionSecret: 'short' }],
    ['keys', { store, keys: [{ kid: 'a', privateJwk: { kty: 'OKP' } }] }],
    ['now', { store, now: 5 }],
    ['verifyCacheSize', { store, verifyCacheSize: -1 }],
  ])('a bad `%s` is a TypeError naming it', (name, options) => {
    expect(() => resolveOptions(options as never)).toThrow(TypeError)
    expect(() => resolveOptions(options as never)).toThrow(`\`${name}\``)
  })
})
