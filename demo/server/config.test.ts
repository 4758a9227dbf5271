import { describe, expect, it } from 'vitest'
import { ConfigError, formatDuration, loadConfig } from './config'

const DEMO_DIR = '/srv/demo'

describe('loadConfig', () => {
  it('applies the demo contract defaults', () => {
    expect(loadConfig({}, DEMO_DIR)).toEqual({
      port: 3000,
      host: '127.0.0.1',
      store: 'sqlite',
      sqlitePath: '/srv/demo/.data/latch-demo.db',
      redisUrl: null,
      databaseUrl: null,
      accessTokenTtl: 600_000,
      sessionTtl: 30 * 86_400_000,
      reuseGrace: 10_000,
      clockTolerance: 5000,
      testMode: false,
      admin: false,
      corsOrigins: [],
      apiBase: null,
      transport: 'cookie',
    })
  })

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '4100',
        HOST: '0.0.0.0',
        LATCH_STORE: 'redis',
        REDIS_URL: 'redis://127.0.0.1:6379',
        LATCH_ACCESS_TTL: '5s',
        LATCH_SESSION_TTL: '12h',
        LATCH_REUSE_GRACE: '0s',
        LATCH_DEMO_TEST: '1',
        LATCH_DEMO_ADMIN: '1',
      },
      DEMO_DIR,
    )
    expect(config).toMatchObject({
      port: 4100,
      host: '0.0.0.0',
      store: 'redis',
      redisUrl: 'redis://127.0.0.1:6379',
      accessTokenTtl: 5000,
      sessionTtl: 43_200_000,
      reuseGrace: 0,
      testMode: true,
      admin: true,
    })
  })

  it('enables test mode only for LATCH_DEMO_TEST=1', () => {
    expect(loadConfig({ LATCH_DEMO_TEST: 'true' }, DEMO_DIR).testMode).toBe(false)
  })

  it.each([
    [{ PORT: 'http' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LATCH_STORE: 'mongo' }, 'LATCH_STORE'],
    [{ LATCH_STORE: 'redis' }, 'REDIS_URL'],
    [{ LATCH_STORE: 'postgres' }, 'DATABASE_URL'],
    [{ LATCH_ACCESS_TTL: 'ten minutes' }, 'LATCH_ACCESS_TTL'],
    [{ LATCH_REUSE_GRACE: '-1s' }, 'LATCH_REUSE_GRACE'],
  ])('rejects %o naming %s', (env, name) => {
    expect(() => loadConfig(env, DEMO_DIR)).toThrow(ConfigError)
    expect(() => loadConfig(env, DEMO_DIR)).toThrow(name)
  })
})

describe('formatDuration', () => {
  it.each([
    [600_000, '10m'],
    [5000, '5s'],
    [2_592_000_000, '30d'],
    [1500, '1500ms'],
    [0, '0ms'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('reads the split-deployment settings, refusing what is not an origin', () => {
    expect(
      loadConfig(
        {
          LATCH_CORS_ORIGINS: 'http://app.latch.localhost:4000, https://app.example.com',
          LATCH_API_BASE: 'http://api.latch.localhost:4001',
          LATCH_TRANSPORT: 'header',
        },
        DEMO_DIR,
      ),
    ).toMatchObject({
      corsOrigins: ['http://app.latch.localhost:4000', 'https://app.example.com'],
      apiBase: 'http://api.latch.localhost:4001',
      transport: 'header',
    })
    for (const env of [
      { LATCH_CORS_ORIGINS: 'http://app.example.com/path' },
      { LATCH_CORS_ORIGINS: '*' },
      { LATCH_API_BASE: 'javascript:alert(1)' },
      { LATCH_TRANSPORT: 'pigeon' },
    ]) {
      expect(() => loadConfig(env, DEMO_DIR)).toThrow(ConfigError)
    }
  })
})
