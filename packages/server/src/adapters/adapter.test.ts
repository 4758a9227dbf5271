import { afterEach, expect, test } from 'vitest'
import { createSessionManager, type SessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import { answerRequest, connectionMemo, NodeRequestView } from './adapter.js'

let sessions: SessionManager | undefined
afterEach(async () => {
  await sessions?.close()
  sessions = undefined
})

function open(): SessionManager {
  sessions = createSessionManager({ store: memoryStore() })
  return sessions
}

const request = (url: string, method = 'POST') => ({
  method,
  url,
  headers: new Headers({ 'x-latch-csrf': '1' }),
})

test('answerRequest: a route, a bogus host (unauthorized), a path it does not serve (null)', async () => {
  const sessions = open()
  const refresh = await answerRequest(sessions, request('http://localhost/auth/session/refresh'))
  expect([refresh?.status, refresh?.headers['x-latch-error']]).toEqual([401, 'unauthorized'])
  const bogus = await answerRequest(sessions, request('http://bad host/auth/session/refresh'))
  expect([bogus?.status, bogus?.headers['x-latch-error'], bogus?.cookies]).toEqual([401, 'unauthorized', []])
  expect(await answerRequest(sessions, request('http://localhost/api/other'))).toBeNull()
  const wrong = await answerRequest(sessions, request('http://localhost/auth/session/refresh', 'GET'))
  expect([wrong?.status, wrong?.headers.allow]).toEqual([405, 'POST'])
})

test('answerRequest: a relative URL is the adapter’s mistake, a TypeError saying what it needs', async () => {
  await expect(answerRequest(open(), request('/auth/session/refresh'))).rejects.toThrow(
    expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/absolute request URL/) }),
  )
})

test('NodeRequestView reads Node headers case-insensitively, joins repeats, keeps none after release', () => {
  const view = new NodeRequestView()
  const headers = { cookie: 'a=1', 'x-many': ['1', '2'] }
  view.withUrl('POST', true, 'example.com', '/auth/session/refresh?x=1', headers)
  expect([view.url, view.method]).toEqual(['https://example.com/auth/session/refresh?x=1', 'POST'])
  expect([view.headers.get('Cookie'), view.get('x-many'), view.get('missing')]).toEqual(['a=1', '1, 2', null])
  view.withUrl('GET', false, undefined, 'http://proxy.example/p', headers)
  expect(view.url).toBe('http://proxy.example/p') // an absolute-form target is used as it is
  view.withUrl('GET', false, undefined, '/p', headers)
  expect(view.url).toBe('http://localhost/p')
  view.release()
  expect(view.get('cookie')).toBeNull()
})

test('connectionMemo: one memo per connection, none without one', () => {
  const socket = {}
  const memo = connectionMemo(socket)
  expect(memo).toEqual({ token: '', key: '' })
  expect(connectionMemo(socket)).toBe(memo)
  expect(connectionMemo({})).not.toBe(memo)
  expect(connectionMemo(undefined)).toBeUndefined()
  expect(Object.keys(socket)).toEqual([])
})
