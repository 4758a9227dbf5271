/**
 * Where `requireSession` keeps `req.session`. Adding an own property to every request object
 * turned out to be the largest single cost of the guard: in one server alternating a guarded and
 * an open route, a guard doing nothing but `req.session = value` cost ≈ 3 µs per request (≈ 3 %
 * of a bare express request); storing into `res.locals` cost nothing measurable, a `WeakMap`
 * ≈ 0.7 µs. So the session is kept in `res.locals` under a symbol, and `req.session` is an
 * accessor on express's request prototype that reads it there.
 * @module
 */
import { IncomingMessage } from 'node:http'
import type { VerifiedSession } from '../tokens/accessToken.js'

/**
 * The key in `res.locals` (express's per-request storage). A symbol: templates, which read
 * locals by name, never see it, and it cannot collide with an application's own locals.
 */
const SESSION = Symbol('latch.session')
type Locals = Record<symbol, VerifiedSession | undefined>
type Target = {
  session?: unknown
  res?: { locals?: Locals }
}

/**
 * The accessor: reads what the guard stored. An assignment by anyone else (the application, or
 * another library that also names its data `req.session`) becomes an own property of that
 * request, as if no accessor existed, so `delete req.session` and reassignment behave as usual.
 */
const ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: Target) {
    return this.res?.locals?.[SESSION]
  },
  set(this: Target, value: unknown) {
    Object.defineProperty(this, 'session', { value, writable: true, enumerable: true, configurable: true })
  },
}

/**
 * Defines the accessor on the prototype just below `IncomingMessage.prototype`: express's
 * `request`, which every app (and mounted sub-app) of that express copy inherits from, so the
 * session stays readable after a sub-app hands the request back. Node's own prototype is left
 * alone. False when there is no such prototype (a plain node:http request, an HTTP/2 request, a
 * test double) or it already has a `session` of its own.
 */
function install(req: object): boolean {
  let proto = Object.getPrototypeOf(req) as object | null
  if (proto === null || proto === IncomingMessage.prototype) return false
  for (;;) {
    const up = Object.getPrototypeOf(proto) as object | null
    if (up === null) return false
    if (up === IncomingMessage.prototype) break
    proto = up
  }
  if (Object.hasOwn(proto, 'session')) return false
  Object.defineProperty(proto, 'session', ACCESSOR)
  return true
}

/** Sets `req.session` to `session` for the rest of this request. */
export function setRequestSession(req: object, session: VerifiedSession): void {
  const target = req as Target
  const locals = target.res?.locals
  if (typeof locals === 'object' && locals !== null) {
    locals[SESSION] = session
    // The common case: the accessor is there and reads it back.
    if (target.session === session) return
    // The first guarded request of this express copy installs it; an own `session` set earlier
    // on this request (another library's) hides it, and is replaced below as it always was.
    if (!Object.hasOwn(target, 'session') && install(target)) return
  }
  target.session = session
}
