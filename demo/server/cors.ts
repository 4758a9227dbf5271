/**
 * CORS for a split deployment (`LATCH_CORS_ORIGINS`): the SPA on one origin, this API on another.
 * Credentials are allowed (cookie transport across origins of one site), and the headers are the
 * ones `@latch/server` exports, so the client can read `x-latch-error` and the front token.
 * @module
 */
import { allowedHeaders, exposedHeaders } from '@latch/server'
import type { RequestHandler } from 'express'

/** Answers preflights and decorates responses for the listed origins; other origins get no CORS headers. */
export function corsMiddleware(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins)
  return (req, res, next) => {
    const origin = req.headers.origin
    res.vary('Origin')
    if (origin === undefined || !allowed.has(origin)) return next()
    res.setHeader('access-control-allow-origin', origin)
    res.setHeader('access-control-allow-credentials', 'true')
    res.setHeader('access-control-expose-headers', exposedHeaders.join(', '))
    if (req.method !== 'OPTIONS') return next()
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, DELETE')
    res.setHeader('access-control-allow-headers', allowedHeaders.join(', '))
    res.setHeader('access-control-max-age', '600')
    res.status(204).end()
  }
}
