import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  cookieContext,
  cookieNames,
  isLoopbackHost,
  readCookie,
  readCookies,
  sessionCookies,
} from './cookies.js'

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
      // Stray unprefixed copies (plain-HTTP days, a sibling host) are expired by the same answer.
      'latch-access=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      'latch-refresh=; Path=/auth/session; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
      'latch-front=; Path=/; Max-Age=0; Secure; SameSite=Lax',
    ])
  })

  test('readCookies: every copy (at most three), never throwing; oversized copies and headers are no copy', () => {
    const name = 'latch-access'
    expect(readCookies('a=1; latch-access=tok; b=2', name)).toEqual(['tok'])
    expect(readCookies('latch-access=1; latch-access=2', name)).toEqual(['1', '2'])
    // Two Cookie headers joined by a Web `Headers` object (`, `) or by Node (`; `).
    expect(readCookies('latch-access=1, latch-access=2', name)).toEqual(['1', '2'])
    expect(readCookies('latch-access=1,latch-access=2; b=3', name)).toEqual(['1', '2'])
    expect(readCookies('latch-access=1; latch-access=2; latch-access=3; latch-access=4', name)).toEqual([
      '1',
      '2',
      '3',
    ])
    // Empty and oversized copies count among the three looked at, but are no copy.
    expect(readCookies(`latch-access=; latch-access=${'x'.repeat(5000)}; latch-access=3`, name)).toEqual([
      '3',
    ])
    expect(readCookies('latch-access=; latch-access=; latch-access=; latch-access=4', name)).toEqual([])
    expect(readCookies(`a=${'x'.repeat(16_400)}; latch-access=tok`, name)).toEqual([])
    expect(readCookies(null, name)).toEqual([])
    expect(readCookie('latch-access=1; latch-access=2', name)).toBe('1')
    expect(readCookie('latch-access=', name)).toBeNull()
  })

  test('readCookie scans for the exact name: prefixes, whitespace, quotes, garbage', () => {
    const name = 'latch-access'
    // The name as a prefix or suffix of another cookie's name, or inside a value, is not it.
    expect(readCookie('latch-access-old=1; latch-access=tok', name)).toBe('tok')
    expect(readCookie('latch-access-old=1', name)).toBeNull()
    expect(readCookie('__Host-latch-access=1', name)).toBeNull()
    expect(readCookie('a=latch-access=evil', name)).toBeNull()
    expect(readCookie('a=1 latch-access=evil', name)).toBeNull()
    expect(readCookie('latch-access', name)).toBeNull()
    expect(readCookie('latch-access;=x', name)).toBeNull()
    // Whitespace around the name and the value, tabs and no-break spaces included, like trim().
    expect(readCookie(' \tlatch-access \t=  tok  ;b=2', name)).toBe('tok')
    expect(readCookie('a=1;\u00a0latch-access\u3000=tok', name)).toBe('tok')
    expect(readCookie('a=1;;latch-access=tok;', name)).toBe('tok')
    expect(readCookie('latch-access="tok"', name)).toBe('tok')
    expect(readCookie('latch-access=a=b', name)).toBe('a=b')
    expect(readCookie('latch-access=""', name)).toBeNull()
    expect(readCookies('a=1; latch-access=1; b=2; \tlatch-access=2', name)).toEqual(['1', '2'])
    expect(readCookie(`latch-access="${'x'.repeat(4096)}"`, name)).toHaveLength(4096)
    expect(readCookie(`other=${'x'.repeat(5000)}; latch-access=tok`, name)).toBe('tok')
  })

  test('property: readCookies reads exactly what splitting the header would', () => {
    const name = 'latch-access'
    const part = fc.oneof(
      fc.constantFrom(name, `x${name}`, `${name}x`, '__Host-latch-access', 'a', ''),
      fc.stringMatching(/^[a-z=" \t-]{0,8}$/),
      fc.string({ maxLength: 8 }),
    )
    const piece = fc
      .tuple(
        fc.constantFrom('', ' ', '\t', '\u00a0', '  '),
        part,
        fc.constantFrom('', ' ', '\u2003'),
        fc.constantFrom('=', '', '=='),
        part,
      )
      .map((bits) => bits.join(''))
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.constantFrom(';', '; ', ' ;', ', '),
        (pieces, sep) => {
          const header = pieces.join(sep)
          expect(readCookies(header, name)).toEqual(splitReadCookies(header, name))
        },
      ),
      { numRuns: 2000 },
    )
  })
})

/**
 * The reading `readCookies` must keep: the header split on `;` and `,`, each side of the first `=`
 * trimmed, the first three occurrences looked at, empty and oversized ones dropped.
 */
function splitReadCookies(header: string, name: string): string[] {
  const copies: string[] = []
  let seen = 0
  for (const part of header.split(/[;,]/)) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue
    if (++seen > 3) break
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (value !== '' && value.length <= 4096) copies.push(value)
  }
  return copies
}
