import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { pooledRandomBytes } from '../encoding.js'
import { createRefreshTokens, newSessionId } from './refreshToken.js'

const random = (size: number) => new Uint8Array(randomBytes(size))

describe('refresh tokens', () => {
  const tokens = createRefreshTokens('server-secret-for-tests-only-32+chars', random)
  const sid = newSessionId(random)

  test('format <sid>.<secret>, 22-char id, proof of issue, hash at rest', () => {
    const token = tokens.issue(sid)
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{64}$/)
    const facts = tokens.parse(token)!
    expect(facts).toEqual({ sessionId: sid, hash: tokens.hash(token), issued: true })
    expect(facts.hash).not.toContain(token.split('.')[1])
  })

  test('a token for another session, another server secret, or a flipped bit is not issued', () => {
    const token = tokens.issue(sid)
    const other = createRefreshTokens('another-server-secret-32+characters', random)
    expect(other.parse(token)!.issued).toBe(false)
    const moved = `${newSessionId(random)}.${token.split('.')[1]}`
    expect(tokens.parse(moved)!.issued).toBe(false)
    const secret = token.split('.')[1]!
    const flipped = `${sid}.${secret.slice(0, 10)}${secret[10] === 'A' ? 'B' : 'A'}${secret.slice(11)}`
    expect(tokens.parse(flipped)!.issued).toBe(false)
  })

  test('malformed tokens parse to null', () => {
    for (const bad of [
      '',
      'a.b',
      `${sid}.`,
      `${sid}.${'a'.repeat(63)}`,
      `${sid}.${'a'.repeat(64)}.x`,
      `${sid}.${'+'.repeat(64)}`,
    ]) {
      expect(tokens.parse(bad)).toBeNull()
    }
  })

  test('the sealed successor opens only with its predecessor and session', () => {
    const previous = tokens.issue(sid)
    const successor = tokens.issue(sid)
    const sealed = tokens.seal(successor, previous, sid)
    expect(sealed).not.toContain(successor.split('.')[1])
    expect(tokens.unseal(sealed, previous, sid)).toBe(successor)
    expect(tokens.unseal(sealed, tokens.issue(sid), sid)).toBeNull()
    expect(tokens.unseal(sealed, previous, newSessionId(random))).toBeNull()
    expect(tokens.unseal('garbage', previous, sid)).toBeNull()
  })

  test('the proof of issue is HMAC-SHA256 keyed by the secret text (tokens issued earlier stay valid)', () => {
    const secretText = 'server-secret-for-tests-only-32+chars'
    const token = tokens.issue(sid)
    const bytes = Buffer.from(token.split('.')[1]!, 'base64url')
    const expected = createHmac('sha256', secretText)
      .update(sid)
      .update('.')
      .update(bytes.subarray(0, 32))
      .digest()
      .subarray(0, 16)
    expect(bytes.subarray(32).equals(expected)).toBe(true)
  })

  test('pooled random bytes: fresh arrays of the asked size, never handed out twice', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const bytes = pooledRandomBytes(i % 3 === 0 ? 12 : 32)
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(bytes.length).toBe(i % 3 === 0 ? 12 : 32)
      const hex = Buffer.from(bytes).toString('hex')
      expect(seen.has(hex)).toBe(false)
      seen.add(hex)
    }
    const kept = pooledRandomBytes(32)
    const copy = Buffer.from(kept).toString('hex')
    for (let i = 0; i < 300; i++) pooledRandomBytes(32) // refills the pool
    expect(Buffer.from(kept).toString('hex')).toBe(copy)
    expect(pooledRandomBytes(1000).length).toBe(1000)
  })
})
