// Module hooks of the sync-signing what-if (see syncSign.mjs): `jose` imported by
// @latch/server's dist resolves to a generated module that re-exports the real jose and
// replaces SignJWT.
const PREFIX = 'latch-bench-whatif:jose?real='

export async function resolve(specifier, context, next) {
  if (specifier === 'jose' && context.parentURL?.includes('/packages/server/dist/')) {
    const real = await next(specifier, context)
    return { url: `${PREFIX}${encodeURIComponent(real.url)}`, shortCircuit: true }
  }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (!url.startsWith(PREFIX)) return next(url, context)
  const real = JSON.stringify(decodeURIComponent(url.slice(PREFIX.length)))
  const source = `
export * from ${real}
import * as jose from ${real}
import { KeyObject, sign } from 'node:crypto'

const keyObjects = new WeakMap()
const encoder = new TextEncoder()
const b64 = (value) => Buffer.from(typeof value === 'string' ? encoder.encode(value) : value).toString('base64url')

// Records what the builder is given, so sign() can serialize the same JWS itself.
export class SignJWT extends jose.SignJWT {
  #payload
  #header
  constructor(payload = {}) {
    super(payload)
    this.#payload = { ...payload }
  }
  setProtectedHeader(header) { this.#header = header; return super.setProtectedHeader(header) }
  setSubject(sub) { this.#payload.sub = sub; return super.setSubject(sub) }
  setIssuer(iss) { this.#payload.iss = iss; return super.setIssuer(iss) }
  setAudience(aud) { this.#payload.aud = aud; return super.setAudience(aud) }
  setIssuedAt(iat) { if (typeof iat !== 'number') throw new Error('what-if shim: numeric iat only'); this.#payload.iat = iat; return super.setIssuedAt(iat) }
  setExpirationTime(exp) { if (typeof exp !== 'number') throw new Error('what-if shim: numeric exp only'); this.#payload.exp = exp; return super.setExpirationTime(exp) }
  async sign(key, options) {
    if (this.#header?.alg !== 'EdDSA') return super.sign(key, options)
    let keyObject = keyObjects.get(key)
    if (!keyObject) {
      keyObject = key instanceof KeyObject ? key : KeyObject.from(key)
      keyObjects.set(key, keyObject)
    }
    const input = b64(JSON.stringify(this.#header)) + '.' + b64(JSON.stringify(this.#payload))
    return input + '.' + sign(null, Buffer.from(input), keyObject).toString('base64url')
  }
}
`
  return { format: 'module', source, shortCircuit: true }
}
