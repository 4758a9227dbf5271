/**
 * CSRF defence for cookie-authenticated requests: a custom header that a cross-origin page cannot
 * send without a CORS preflight the server would refuse.
 * @module
 */
import { CsrfError } from '../errors.js'
import { CSRF_HEADER } from './headers.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** True when `method` needs the CSRF header on a cookie-authenticated request. */
export function needsCsrf(method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false // the hot path: no upper-casing
  return !SAFE_METHODS.has(method.toUpperCase())
}

/** Throws `CsrfError` (403 `csrf_failed`) unless the request carries `x-latch-csrf: 1`. */
export function assertCsrf(request: { headers: { get(name: string): string | null } }): void {
  if (request.headers.get(CSRF_HEADER)?.trim() !== '1') throw new CsrfError()
}
