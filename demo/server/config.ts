/**
 * The demo's configuration, read from the environment once at start (see demo/README.md).
 * Every bad value stops the start with a message naming the variable.
 * @module
 */
import { resolve } from 'node:path'
import { parseDuration } from '@latch/server'

export type StoreKind = 'sqlite' | 'memory' | 'redis' | 'postgres'

export interface DemoConfig {
  port: number
  host: string
  store: StoreKind
  /** SQLite file for sessions and notes (sqlite store only). */
  sqlitePath: string
  redisUrl: string | null
  databaseUrl: string | null
  /** Durations in milliseconds. */
  accessTokenTtl: number
  sessionTtl: number
  reuseGrace: number
  /** `LATCH_CLOCK_TOLERANCE` (not in the demo contract; the e2e tests set `0s`). */
  clockTolerance: number
  /** `LATCH_DEMO_ADMIN=1`: enables `POST /api/admin/keys/revoke-current` and the SPA's admin panel. Off otherwise. */
  admin: boolean
  /** `LATCH_DEMO_TEST=1`: enables `GET /api/test/stats` for the browser tests. Off otherwise. */
  testMode: boolean
  /** `LATCH_CORS_ORIGINS`: origins that may call this API with credentials (split deployments). */
  corsOrigins: string[]
  /** `LATCH_API_BASE`: the API the served SPA calls, when it is on another origin. */
  apiBase: string | null
  /** `LATCH_TRANSPORT`: the served SPA's token transport. */
  transport: 'cookie' | 'header'
}

/** An origin such as `http://app.example.localhost:5173`: scheme, host, port, nothing else. */
function origin(value: string, name: string): string {
  try {
    const url = new URL(value)
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, ''))
      return url.origin
  } catch {}
  throw new ConfigError(`${name} must hold origins such as http://app.localhost:5173 (got "${value}").`)
}

/** Raised for a bad environment variable; `main` prints the message and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

const STORES: readonly StoreKind[] = ['sqlite', 'memory', 'redis', 'postgres']
/** Parses with the session manager's own rules, so the demo accepts exactly what Latch does. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const value = env[name]?.trim() || fallback
  try {
    return parseDuration(value, name)
  } catch {
    throw new ConfigError(`${name} must be a duration such as 5s, 10m, 1h or 30d (got "${value}").`)
  }
}

/** `600000` → `10m`, for the start-up line. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

function transport(value: string | undefined): 'cookie' | 'header' {
  const text = value?.trim() || 'cookie'
  if (text === 'cookie' || text === 'header') return text
  throw new ConfigError(`LATCH_TRANSPORT must be cookie or header (got "${text}").`)
}

/** Reads the configuration from `env`. `demoDir` anchors the default SQLite path. */
export function loadConfig(env: NodeJS.ProcessEnv, demoDir: string): DemoConfig {
  const portText = env.PORT?.trim() || '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port < 1 || port > 65_535) {
    throw new ConfigError(`PORT must be a port number between 1 and 65535 (got "${portText}").`)
  }
  const store = (env.LATCH_STORE?.trim() || 'sqlite') as StoreKind
  if (!STORES.includes(store)) {
    throw new ConfigError(`LATCH_STORE must be one of ${STORES.join(', ')} (got "${store}").`)
  }
  const redisUrl = env.REDIS_URL?.trim() || null
  const databaseUrl = env.DATABASE_URL?.trim() || null
  if (store === 'redis' && !redisUrl) throw new ConfigError('LATCH_STORE=redis needs REDIS_URL.')
  if (store === 'postgres' && !databaseUrl) throw new ConfigError('LATCH_STORE=postgres needs DATABASE_URL.')
  return {
    port,
    host: env.HOST?.trim() || '127.0.0.1',
    store,
    sqlitePath: resolve(env.SQLITE_PATH?.trim() || resolve(demoDir, '.data', 'latch-demo.db')),
    redisUrl,
    databaseUrl,
    accessTokenTtl: duration(env, 'LATCH_ACCESS_TTL', '10m'),
    sessionTtl: duration(env, 'LATCH_SESSION_TTL', '30d'),
    reuseGrace: duration(env, 'LATCH_REUSE_GRACE', '10s'),
    clockTolerance: duration(env, 'LATCH_CLOCK_TOLERANCE', '5s'),
    testMode: env.LATCH_DEMO_TEST === '1',
    admin: env.LATCH_DEMO_ADMIN === '1',
    corsOrigins: (env.LATCH_CORS_ORIGINS ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => origin(item, 'LATCH_CORS_ORIGINS')),
    apiBase: env.LATCH_API_BASE?.trim() ? origin(env.LATCH_API_BASE.trim(), 'LATCH_API_BASE') : null,
    transport: transport(env.LATCH_TRANSPORT),
  }
}
