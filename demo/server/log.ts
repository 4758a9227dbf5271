/**
 * One line per API request, so a developer watching the terminal sees refreshes happen. Only
 * method, path, status and duration: never a header, a cookie or a body, so never a token.
 * @module
 */
import type { RequestHandler } from 'express'

export function requestLog(write: (line: string) => void = console.log): RequestHandler {
  return (req, res, next) => {
    if (!req.path.startsWith('/api/') && !req.path.startsWith('/auth/')) return next()
    const started = performance.now()
    res.on('finish', () => {
      const ms = (performance.now() - started).toFixed(1)
      const code = res.getHeader('x-latch-error')
      write(`${req.method} ${req.path} → ${res.statusCode}${code ? ` ${code}` : ''} (${ms} ms)`)
    })
    next()
  }
}
