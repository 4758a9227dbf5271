/**
 * Programming errors get one `TypeError` saying what is needed, never a 401, a `null` or a silent
 * default: a relative URL, Node's plain header object, a misspelled option, a bare-number
 * duration, an access token outliving its session. And a cookie session created over plain
 * HTTP on a non-loopback host is warned about once, without any token.
 */

import { afterEach, describe, expect, test, vi } from 'vitest'
import { answerRequest, cachedVerifier } from './adapters/adapter.js'
import { createSessionManager, type SessionManager } from './createSessionManager.js'
import type { SessionManagerOptions } from './SessionManagerOptions.js'
import { memoryStore } from './stores/memory.js'
import type { RequestLike } from './transport/requestLike.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

function manager(options: Partial<SessionManagerOptions> = {}): SessionManager {
  const store = memoryStore()
  const sessions = createSessionManager({ store, ...options })
  closers.push(async () => {
    await sessions.close()
    await store.close()
  })
  return sessions
}

/** What Fastify (and Node's `req.url`) hands over: a path, and headers as a plain object. */
const relative: RequestLike = {
  method: 'POST',
  url: '/auth/session/refresh',
  headers: new Headers({ host: 'example.com', 'x-latch-csrf': '1' }),
}
const plainHeaders = {
  method: 'GET',
  url: 'https://example.com/api/me',
  headers: { host: 'example.com', cookie: 'latch-access=abc' },
} as unknown as RequestLike

describe('a relative URL', () => {
  const message = /needs a Web Request .* whose `url` is absolute.*`url` is relative/

  test('create() throws a TypeError, not UnauthorizedError', async () => {
    const sessions = manager()
    await expect(sessions.create(relative, { userId: 'u1' })).rejects.toThrow(TypeError)
    await expect(sessions.create(relative, { userId: 'u1' })).rejects.toThrow(message)
  })

  test('answerRequest() rejects with a TypeError instead of resolving null', async () => {
    const sessions = manager()
    await expect(answerRequest(sessions, relative)).rejects.toThrow(TypeError)
    await expect(answerRequest(sessions, relative)).rejects.toThrow(
      /answerRequest needs the absolute request URL/,
    )
  })

  test('verify() and a cached verifier throw a TypeError, not try_refresh', async () => {
    const sessions = manager()
    const get = { ...relative, method: 'GET' }
    await expect(sessions.verify(get)).rejects.toThrow(/verify\(\) needs .*`url` is relative/)
    expect(() => cachedVerifier(sessions)(get)).toThrow(TypeError)
  })

  test('a bogus Host in an absolute URL stays the client’s fault: 401 from create and from answerRequest', async () => {
    const sessions = manager()
    const bogus = { method: 'POST', url: 'http://exa mple.com/auth/session/refresh', headers: new Headers() }
    await expect(sessions.create(bogus, { userId: 'u1' })).rejects.toMatchObject({ code: 'unauthorized' })
    const answer = await answerRequest(sessions, bogus)
    expect([answer?.status, answer?.headers['x-latch-error']]).toEqual([401, 'unauthorized'])
  })
})

describe("Node's plain header object", () => {
  test('verify() says headers need get(name), instead of "headers.get is not a function"', async () => {
    const sessions = manager()
    await expect(sessions.verify(plainHeaders)).rejects.toThrow(TypeError)
    await expect(sessions.verify(plainHeaders)).rejects.toThrow(
      /`headers` has no get\(name\) method \(Node's plain req\.headers object\?/,
    )
  })

  test('create() and answerRequest() say the same, and nothing is stored', async () => {
    const store = memoryStore()
    const sessions = createSessionManager({ store })
    closers.push(() => sessions.close())
    await expect(sessions.create(plainHeaders, { userId: 'u1' })).rejects.toThrow(
      /create\(\) needs .*get\(name\)/,
    )
    await expect(answerRequest(sessions, plainHeaders)).rejects.toThrow(
      /answerRequest\(\) needs .*get\(name\)/,
    )
    expect(await store.listUserSessions('u1', Date.now())).toEqual([])
  })

  test('never quotes the request (a token may be in it)', async () => {
    const sessions = manager()
    const error = await sessions.verify(plainHeaders).catch((e: Error) => e)
    expect(String((error as Error).message)).not.toContain('abc')
    const relativeError = await sessions
      .verify({ ...relative, url: '/api/me?token=secret123' })
      .catch((e: Error) => e)
    expect((relativeError as Error).message).not.toContain('secret123')
  })
})

describe('readSession misuse', () => {
  test.each([
    ['a Headers object', new Headers({ cookie: 'a=b' }), /given a Headers-like object/],
    ["Node's req.headers", { cookie: 'a=b', host: 'example.com' }, /`host` is not one of them/],
    ['a capitalised key', { Cookie: 'a=b' }, /`Cookie` is not one of them/],
    [
      'a cookie jar for `cookie`',
      { cookie: { get: () => undefined } },
      /`cookie` must be the header's string/,
    ],
    ['a string for `https`', { cookie: 'a=b', https: 'true' }, /`https` must be a boolean/],
  ])('%s is a TypeError saying what it takes', async (_, input, message) => {
    const sessions = manager()
    const result = sessions.readSession(input as never)
    await expect(result).rejects.toThrow(TypeError)
    await expect(result).rejects.toThrow(/readSession\(\) takes \{ cookie, authorization, https\? \}/)
    await expect(sessions.readSession(input as never)).rejects.toThrow(message)
  })

  test('request data stays a result: garbage cookies and no input are unauthenticated', async () => {
    const sessions = manager()
    await expect(sessions.readSession({ cookie: 'latch-access=%%%' })).resolves.toMatchObject({
      status: 'unauthenticated',
    })
    await expect(sessions.readSession(undefined as never)).resolves.toMatchObject({
      status: 'unauthenticated',
    })
    await expect(sessions.readSession({ cookie: null, authorization: null })).resolves.toMatchObject({
      status: 'unauthenticated',
    })
  })
})

describe('options', () => {
  const store = memoryStore()
  const create = (options: Record<string, unknown>) => () =>
    createSessionManager({ store, ...options } as SessionManagerOptions)

  test('a misspelled option is refused, naming it and the closest known one', () => {
    expect(create({ accessTokenTTL: '5m' })).toThrow(TypeError)
    expect(create({ accessTokenTTL: '5m' })).toThrow(
      'Unknown option `accessTokenTTL`: did you mean `accessTokenTtl`?',
    )
    expect(create({ sesionTtl: '1d' })).toThrow('did you mean `sessionTtl`?')
    expect(create({ basepath: '/auth' })).toThrow('did you mean `basePath`?')
  })

  test('an unknown option far from every known one lists the known options', () => {
    expect(create({ cookieDomain: 'example.com' })).toThrow(
      /^Unknown option `cookieDomain`\. Known options: store, /,
    )
  })

  test('a bare number is refused with how to write it', () => {
    expect(create({ accessTokenTtl: 600 })).toThrow(TypeError)
    expect(create({ accessTokenTtl: 600 })).toThrow(
      "The `accessTokenTtl` option must be a duration with its unit, such as '10m' (if you meant seconds): a bare number is ambiguous",
    )
    expect(create({ reuseGrace: 45 })).toThrow("such as '45s' (if you meant seconds) or '45ms'")
    // Zero means the same in every unit.
    expect(create({ reuseGrace: 0, clockTolerance: 0 })).not.toThrow()
  })

  test('an access token outliving its session is refused', () => {
    expect(create({ accessTokenTtl: '2h', sessionTtl: '1h' })).toThrow(TypeError)
    expect(create({ accessTokenTtl: '2h', sessionTtl: '1h' })).toThrow(
      'The `accessTokenTtl` option must be at most `sessionTtl` (3600000 ms): an access token must not outlive its session.',
    )
    expect(create({ accessTokenTtl: '15m', absoluteSessionTtl: '10m' })).toThrow(
      'at most `absoluteSessionTtl`',
    )
    expect(create({ accessTokenTtl: '1h', sessionTtl: '1h' })).not.toThrow()
  })
})

describe('plain HTTP on a non-loopback host', () => {
  const request = (url: string, headers: Record<string, string> = {}) =>
    new Request(url, { method: 'POST', headers })

  test('warns once, naming the host and no token', async () => {
    const warn = vi.fn()
    const sessions = manager({ warn })
    const first = await sessions.create(request('http://192.168.1.20:3000/login'), { userId: 'u1' })
    await sessions.create(request('http://192.168.1.20:3000/login'), { userId: 'u2' })
    expect(warn).toHaveBeenCalledTimes(1)
    const message = warn.mock.calls[0]![0] as string
    expect(message).toMatch(/plain HTTP for host 192\.168\.1\.20\. Its cookies are Secure/)
    expect(message).not.toContain(first.accessToken)
    expect(message).not.toContain(first.refreshToken)
    expect(message).not.toContain(first.refreshToken.split('.')[1])
  })

  test('defaults to console.warn', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const sessions = manager()
    await sessions.create(request('http://app.internal/login'), { userId: 'u1' })
    expect(spy).toHaveBeenCalledWith(expect.stringContaining('host app.internal'))
  })

  test('says nothing on HTTPS, on loopback, or in header transport', async () => {
    const warn = vi.fn()
    const sessions = manager({ warn })
    await sessions.create(request('https://example.com/login'), { userId: 'u1' })
    await sessions.create(request('http://localhost:3000/login'), { userId: 'u1' })
    await sessions.create(request('http://app.localhost/login'), { userId: 'u1' })
    await sessions.create(request('http://127.0.0.1/login'), { userId: 'u1' })
    await sessions.create(request('http://10.0.0.2/login', { 'x-latch-transport': 'header' }), {
      userId: 'u1',
    })
    expect(warn).not.toHaveBeenCalled()
  })

  test('a throwing logger does not fail the sign-in', async () => {
    const sessions = manager({
      warn: () => {
        throw new Error('logger down')
      },
    })
    await expect(sessions.create(request('http://10.0.0.2/login'), { userId: 'u1' })).resolves.toMatchObject({
      session: { userId: 'u1' },
    })
  })

  test('`warn` must be a function', () => {
    expect(() => manager({ warn: 'yes' as never })).toThrow('The `warn` option must be a function.')
  })
})

describe('the adapter entry given something else than the manager', () => {
  test('a spread copy or a stand-in is a TypeError naming the call, for answerRequest and cachedVerifier', async () => {
    const sessions = manager()
    const copy = { ...sessions }
    const request = { method: 'POST', url: 'http://localhost/auth/session/refresh', headers: new Headers() }
    await expect(answerRequest(copy, request)).rejects.toThrow(
      /answerRequest\(\) needs the session manager that createSessionManager\(\) returned/,
    )
    expect(() => cachedVerifier(copy)).toThrow(/cachedVerifier\(\) needs the session manager/)
    expect(() => cachedVerifier(undefined as unknown as SessionManager)).toThrow(TypeError)
  })

  test('the manager shows no internals: no extra key, and its one symbol is not enumerable', () => {
    const sessions = manager()
    expect(Object.keys(sessions)).not.toContain('verifyCached')
    expect(Object.keys(sessions)).not.toContain('answer')
    expect(
      Object.getOwnPropertySymbols(sessions).every(
        (s) => !Object.getOwnPropertyDescriptor(sessions, s)?.enumerable,
      ),
    ).toBe(true)
  })
})
