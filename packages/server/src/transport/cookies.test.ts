import { describe, expect, test } from 'vitest'
import { cookieContext, cookieNames, isLoopbackHost, readCookie, sessionCookies } from './cookies.js'

describe('cookies', () => {
  test('Secure is dropped only for plain HTTP on loopback hosts', () => {
    for (const host of ['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]']) {
      expect(isLoopbackHost(host)).toBe(true)
      expect(cookieContext(new URL(`http://${host}:3000/`), '/auth/session').secure).toBe(false)
    }
    for (const url of [
      'http://example.com/',
      'http://10.0.0.1/',
      'http://127.0.0.1.evil.com/',
      'https://localhost/',
    ]) {
      expect(cookieContext(new URL(url), '/auth/session').secure).toBe(true)
    }
  })

  test('HTTPS uses the __Host- / __Secure- prefixes and the contract attributes', () => {
    const context = cookieContext(new URL('https://app.example.com/'), '/auth/session')
    expect(cookieNames(context)).toEqual({
      access: '__Host-latch-access',
      refresh: '__Secure-latch-refresh',
      front: '__Host-latch-front',
    })
    expect(sessionCookies(context, { access: 'A', refresh: 'R', front: 'F' }, 60)).toEqual([
      '__Host-latch-access=A; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax',
      '__Secure-latch-refresh=R; Path=/auth/session; Max-Age=60; HttpOnly; Secure; SameSite=Strict',
      '__Host-latch-front=F; Path=/; Max-Age=60; Secure; SameSite=Lax',
    ])
  })

  test('readCookie: exact names, duplicates and oversized values are bad requests', () => {
    expect(readCookie('a=1; latch-access=tok; b=2', 'latch-access')).toBe('tok')
    expect(readCookie('xlatch-access=tok', 'latch-access')).toBeNull()
    expect(readCookie('latch-access=', 'latch-access')).toBeNull()
    expect(readCookie(null, 'latch-access')).toBeNull()
    expect(() => readCookie('latch-access=1; latch-access=2', 'latch-access')).toThrow(
      expect.objectContaining({ code: 'bad_request' }),
    )
    expect(() => readCookie(`latch-access=${'x'.repeat(5000)}`, 'latch-access')).toThrow(
      expect.objectContaining({ code: 'bad_request' }),
    )
  })
})
