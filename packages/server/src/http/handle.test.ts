import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import { createSessionManager } from '../createSessionManager.js'
import { isLatchError } from '../errors.js'
import { memoryStore } from '../stores/memory.js'

describe('handle and verify under random input', () => {
  const sessions = createSessionManager({ store: memoryStore() })
  afterAll(() => sessions.close())
  const value = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.stringMatching(/^(latch-(access|refresh|front)=[A-Za-z0-9_.=-]{0,120}; ?){0,3}$/),
    fc.string({ minLength: 4000, maxLength: 20000 }),
    // Duplicated and oversized Latch cookies (a leftover at another Path, a mangling proxy).
    fc
      .tuple(
        fc.constantFrom('latch-access', 'latch-refresh', '__Host-latch-access', '__Secure-latch-refresh'),
        fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{0,80}$/), fc.constant('a'.repeat(5000))), {
          minLength: 2,
          maxLength: 5,
        }),
        fc.constantFrom('; ', ', ', ';'),
      )
      .map(([name, values, separator]) => values.map((v) => `${name}=${v}`).join(separator)),
  )
  /** The DESIGN table's codes, plus `method_not_allowed` for a wrong method. */
  const TABLE = [
    'try_refresh',
    'unauthorized',
    'session_expired',
    'token_theft_detected',
    'csrf_failed',
    'store_unavailable',
    'method_not_allowed',
  ]
  const latin1 = (text: string) => text.replace(/[^\x20-\x7e\x80-\xff]/g, '')

  test('property: never a 5xx, never an untyped error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('refresh', 'signout', 'jwks.json', 'x'),
        fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD'),
        value,
        value,
        value,
        async (route, method, cookie, authorization, transport) => {
          const headers = {
            cookie: latin1(cookie),
            authorization: latin1(authorization),
            'x-latch-transport': latin1(transport),
            'x-latch-csrf': '1',
          }
          const response = await sessions.handle(
            new Request(`https://app.example/auth/session/${route}`, { method, headers }),
          )
          if (response) {
            expect(response.status).toBeLessThan(500)
            if (response.status >= 400) expect(TABLE).toContain(response.headers.get('x-latch-error'))
          }
          try {
            await sessions.verify(new Request('https://app.example/api', { method, headers }))
            throw new Error('random input verified')
          } catch (error) {
            expect(isLatchError(error)).toBe(true)
            expect((error as { status: number }).status).toBeLessThan(500)
            // Random input never names a revoked session: refresh may always heal it.
            expect(['try_refresh', 'csrf_failed']).toContain((error as { code: string }).code)
          }
        },
      ),
      { numRuns: 300 },
    )
    // Large random headers on a shared, loaded machine: seconds, not milliseconds.
  }, 60_000)
})
