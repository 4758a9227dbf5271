/**
 * Request counters for the browser tests, enabled by `LATCH_DEMO_TEST=1` only: they prove
 * "one refresh for eight tabs" from the server's side. Nothing here sees a token: only the
 * method, the path and the status code.
 * @module
 */
import type { RequestHandler } from 'express'

export interface DemoStats {
  /** Responses per `METHOD /path` under /api and /auth, by status code. */
  requests: Record<string, Record<string, number>>
  /** Times the session manager reported a reused refresh token. */
  theftDetected: number
  /** Times a key-bound session's refresh or sign-out came without its key (`onBindingFailure`). */
  bindingFailures: number
}

export interface StatsRecorder {
  middleware: RequestHandler
  theftDetected(): void
  bindingFailure(): void
  snapshot(): DemoStats
}

/** Paths with ids in them would make one counter per session; cap the table all the same. */
const MAX_KEYS = 1000

export function createStatsRecorder(): StatsRecorder {
  const requests: Record<string, Record<string, number>> = {}
  let thefts = 0
  let bindingFailures = 0
  return {
    middleware(req, res, next) {
      if (req.path.startsWith('/api/') || req.path.startsWith('/auth/')) {
        const key = `${req.method} ${req.path}`
        res.on('finish', () => {
          if (!(key in requests) && Object.keys(requests).length >= MAX_KEYS) return
          const byStatus = requests[key] ?? {}
          requests[key] = byStatus
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1
        })
      }
      next()
    },
    theftDetected() {
      thefts++
    },
    bindingFailure() {
      bindingFailures++
    },
    snapshot: () => ({ requests: structuredClone(requests), theftDetected: thefts, bindingFailures }),
  }
}
