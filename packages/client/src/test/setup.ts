/**
 * Shared wiring for the msw-based client tests: one fake Latch server, a cookie jar, a storage,
 * a lock and a broadcast bus shared by the simulated tabs.
 */
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, onTestFinished } from 'vitest'
import { createSessionClient } from '../createSessionClient'
import { processLock } from '../locks/processLock'
import type { SessionClientOptions } from '../options'
import { memoryStorage } from '../storage'
import type { SessionClient, SessionEventName, SessionEvents } from '../types'
import { API, broadcastBus, cookieJarFetch, fakeLatchServer } from './fakeLatchServer'

/** Starts msw for the calling test file, failing on any request no handler expects. */
export function useMswServer() {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())
  return server
}

/** A signed-in world (gen 0, access expired or not) and a factory of tabs sharing it. */
export function signedInWorld(server: ReturnType<typeof setupServer>, options: { header?: boolean } = {}) {
  const fake = fakeLatchServer()
  server.use(...fake.handlers)
  const jar = new Map([
    ['latch-access', 'a0'],
    ['latch-refresh', 'r0'],
  ])
  const storage = memoryStorage()
  storage.setItem('latch.front', fake.front())
  if (options.header) {
    storage.setItem('latch.access', 'a0')
    storage.setItem('latch.refresh', 'r0')
  }
  const lock = processLock()
  const bus = broadcastBus()
  const tabs: SessionClient[] = []
  const tab = (extra: SessionClientOptions = {}) => {
    const client = createSessionClient({
      apiBase: API,
      storage,
      lock,
      broadcast: bus.factory,
      fetch: cookieJarFetch(jar),
      proactiveRefresh: false,
      transport: options.header ? 'header' : 'cookie',
      ...extra,
    })
    tabs.push(client)
    return client
  }
  onTestFinished(() => {
    for (const client of tabs.splice(0)) client.destroy()
  })
  return { fake, jar, storage, lock, bus, tab }
}

/** Records the events of a client. */
export function recordEvents(client: SessionClient) {
  const log: Array<{ event: SessionEventName; payload: SessionEvents[SessionEventName] }> = []
  for (const event of ['signedIn', 'refreshed', 'signedOut', 'theftDetected', 'refreshFailed'] as const) {
    client.on(event, (payload) => log.push({ event, payload }))
  }
  return log
}
