/**
 * The demo's own error answers: `{"error": code, "message": text}` like Latch's, but without
 * the `x-latch-error` header, so the client never mistakes them for session failures (a wrong
 * password must not sign anyone out).
 * @module
 */
import { isLatchError } from '@latch/server'
import type { ErrorRequestHandler, Response } from 'express'

export function sendError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message })
}

/** Body-parser failures and anything unexpected, as JSON. Bad input is never a 500. */
export function errorHandler(log: (line: string) => void = console.error): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err)
    const status = typeof err?.status === 'number' ? err.status : 500
    switch (err?.type) {
      case 'entity.parse.failed':
        return sendError(res, 400, 'invalid_json', 'The request body is not valid JSON.')
      case 'entity.too.large':
        return sendError(res, 413, 'payload_too_large', 'The request body is too large.')
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 415, 'unsupported_media_type', 'Send UTF-8 JSON.')
    }
    // A Latch error from a route's own call (createSession with a bogus Host): its stable code.
    if (isLatchError(err)) return sendError(res, err.status, err.code, err.message)
    if (status >= 400 && status < 500) return sendError(res, status, 'bad_request', 'Malformed request.')
    // Only the message: a stack is noise here, and no Latch error message carries a token.
    log(`unexpected error: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    sendError(res, 500, 'internal_error', 'Something went wrong on the server.')
  }
}
