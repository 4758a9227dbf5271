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
  )
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
            if (response.status >= 400) expect(response.headers.get('x-latch-error')).toMatch(/^[a-z_]+$/)
          }
          try {
            await sessions.verify(new Request('https://app.example/api', { method, headers }))
            throw new Error('random input verified')
          } catch (error) {
            expect(isLatchError(error)).toBe(true)
            expect((error as { status: number }).status).toBeLessThan(500)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
