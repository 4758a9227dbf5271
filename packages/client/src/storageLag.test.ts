/**
 * Cross-tab sync when the front token lives in localStorage (cross-origin API, header transport):
 * Chromium delivers a tab's BroadcastChannel message and its localStorage write to the other tabs
 * over separate paths, in either order. A tab that re-reads the front token on the message may
 * still see the old one; it must follow once the write arrives (its `storage` event), with the
 * reason the message gave.
 */
import { HttpResponse, http } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { BroadcastFactory, BroadcastMessage } from './broadcast'
import { createSessionClient } from './createSessionClient'
import { processLock } from './locks/processLock'
import type { StateStorage } from './storage'
import { API, cookieJarFetch, fakeLatchServer } from './test/fakeLatchServer'
import { recordEvents, useMswServer } from './test/setup'
import type { SessionClient } from './types'

const server = useMswServer()

afterEach(() => {
  vi.unstubAllGlobals()
})

/**
 * Each tab's own copy of localStorage, as in Chromium: a write shows at once in the writing tab,
 * and in the others (with a `storage` event on their window) only at `deliver()`.
 */
function laggingStorages() {
  const tabs: Array<{ items: Map<string, string>; window: EventTarget }> = []
  const queue: Array<() => void> = []
  let quiet = false
  const write = (from: Map<string, string>, key: string, value: string | null) => {
    if (value === null) from.delete(key)
    else from.set(key, value)
    for (const tab of tabs) {
      if (tab.items === from) continue
      queue.push(() => {
        if (value === null) tab.items.delete(key)
        else tab.items.set(key, value)
        if (!quiet) tab.window.dispatchEvent(Object.assign(new Event('storage'), { key, newValue: value }))
      })
    }
  }
  return {
    /** A tab's storage, its window listening for that tab's `storage` events. */
    open(window: EventTarget, initial: Record<string, string>): StateStorage {
      const items = new Map(Object.entries(initial))
      tabs.push({ items, window })
      return {
        getItem: (key) => items.get(key) ?? null,
        setItem: (key, value) => write(items, key, String(value)),
        removeItem: (key) => write(items, key, null),
      }
    },
    deliver() {
      for (const delivery of queue.splice(0)) delivery()
    },
    /** Delivers the writes without `storage` events: how a cookie change reaches another window. */
    deliverQuietly() {
      quiet = true
      for (const delivery of queue.splice(0)) delivery()
      quiet = false
    },
  }
}

/** A channel between the tabs that holds messages until `flush()`. */
function heldBroadcast() {
  const listeners = new Set<(message: BroadcastMessage) => void>()
  const held: Array<() => void> = []
  const factory: BroadcastFactory = () => {
    let mine: ((message: BroadcastMessage) => void) | undefined
    return {
      post(message) {
        for (const listener of listeners) if (listener !== mine) held.push(() => listener({ ...message }))
      },
      subscribe(listener) {
        mine = listener
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      close() {
        if (mine) listeners.delete(mine)
      },
    }
  }
  return {
    factory,
    flush() {
      for (const delivery of held.splice(0)) delivery()
    },
  }
}

/** Two tabs signed in to a cross-origin API (front token in storage), each with its own window. */
function twoTabs() {
  const fake = fakeLatchServer()
  server.use(...fake.handlers)
  const storages = laggingStorages()
  const channel = heldBroadcast()
  const lock = processLock()
  const jar = new Map([
    ['latch-access', 'a0'],
    ['latch-refresh', 'r0'],
  ])
  const windows: EventTarget[] = []
  const open = (): SessionClient => {
    // The client takes its window when created: each tab gets its own.
    const window = new EventTarget()
    windows.push(window)
    vi.stubGlobal('window', window)
    return createSessionClient({
      apiBase: API,
      storage: storages.open(window, { 'latch.front': fake.front() }),
      lock,
      broadcast: channel.factory,
      fetch: cookieJarFetch(jar),
      proactiveRefresh: false,
    })
  }
  const tabs = [open(), open()] as const
  const destroy = () => {
    for (const tab of tabs) tab.destroy()
  }
  /** Fires `focus` on tab `index`'s window. */
  const focus = (index: number) => windows[index]!.dispatchEvent(new Event('focus'))
  return { fake, storages, channel, tabs, destroy, focus }
}

describe('front token in storage, message and write arriving in either order', () => {
  it('follows a sign-out whose message arrives before the storage write, then the next sign-in', async () => {
    const { storages, channel, tabs, destroy } = twoTabs()
    const [tabA, tabB] = tabs
    const eventsB = recordEvents(tabB)
    await tabA.signOut()
    channel.flush()
    // The message came first: the old front token is all tab B can read yet.
    expect(tabB.getSnapshot().status).toBe('authenticated')
    storages.deliver()
    expect(tabB.getSnapshot().status).toBe('unauthenticated')
    expect(eventsB).toEqual([{ event: 'signedOut', payload: { reason: 'signout', origin: 'other_tab' } }])

    await tabA.fetch(`${API}/login`, { method: 'POST' })
    channel.flush()
    expect(tabB.getSnapshot().status).toBe('unauthenticated')
    storages.deliver()
    expect(tabB.getSnapshot()).toMatchObject({ status: 'authenticated', session: { sessionId: 'sid-2' } })
    destroy()
  })

  it('follows a sign-out whose storage write arrives first, once, with the message’s reason', async () => {
    const { storages, channel, tabs, destroy } = twoTabs()
    const [tabA, tabB] = tabs
    const eventsB = recordEvents(tabB)
    await tabA.signOut()
    storages.deliver()
    channel.flush()
    expect(tabB.getSnapshot().status).toBe('unauthenticated')
    expect(eventsB).toEqual([{ event: 'signedOut', payload: { reason: 'signout', origin: 'other_tab' } }])
    destroy()
  })

  it('reports theft in the other tab when the message came before the write', async () => {
    const { fake, storages, channel, tabs, destroy } = twoTabs()
    const [tabA, tabB] = tabs
    const eventsB = recordEvents(tabB)
    fake.state.refreshMode = 'token_theft_detected'
    await tabA.refresh()
    channel.flush()
    storages.deliver()
    expect(eventsB.map(({ event }) => event)).toEqual(['signedOut', 'theftDetected'])
    expect(eventsB[0]!.payload).toEqual({ reason: 'token_theft_detected', origin: 'other_tab' })
    destroy()
  })

  it('still reads the truth: a message and an unrelated storage event change nothing', async () => {
    const { storages, channel, tabs, destroy } = twoTabs()
    const [tabA, tabB] = tabs
    tabA.sync() // no change: posts nothing
    channel.factory('forger').post({ type: 'signedOut', reason: 'token_theft_detected' })
    channel.flush()
    storages.open(new EventTarget(), {}).setItem('unrelated', '1')
    storages.deliver()
    expect(tabA.getSnapshot().status).toBe('authenticated')
    expect(tabB.getSnapshot().status).toBe('authenticated')
    destroy()
  })
})

describe('a re-read on focus between another tab’s sign-out and its message', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Two tabs after tab A signed out, nothing delivered to tab B yet; `setTimeout` is faked from here. */
  async function afterSignOutInA() {
    const world = twoTabs()
    const tabB = world.tabs[1]
    const eventsB = recordEvents(tabB)
    await world.tabs[0].signOut()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    /** Tab B's one `signedOut` event, with `reason`. */
    const followedWith = (reason: string) =>
      expect(eventsB).toEqual([{ event: 'signedOut', payload: { reason, origin: 'other_tab' } }])
    return { ...world, tabB, followedWith }
  }

  it('finds the session gone before the message: waits for the message and takes its reason', async () => {
    const { storages, channel, tabB, destroy, focus, followedWith } = await afterSignOutInA()
    storages.deliverQuietly()
    focus(1)
    // Gone from the front token, but no reason known yet: the tab waits for the message.
    expect(tabB.getSnapshot().status).toBe('authenticated')
    channel.flush()
    expect(tabB.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'signout' })
    vi.advanceTimersByTime(2000)
    followedWith('signout')
    destroy()
  })

  it('with no message within half a second, ends other_tab', async () => {
    const { storages, tabB, destroy, focus, followedWith } = await afterSignOutInA()
    storages.deliverQuietly()
    focus(1)
    vi.advanceTimersByTime(499)
    expect(tabB.getSnapshot().status).toBe('authenticated')
    vi.advanceTimersByTime(1)
    expect(tabB.getSnapshot()).toMatchObject({ status: 'unauthenticated', reason: 'other_tab' })
    followedWith('other_tab')
    destroy()
  })

  it('finds the change after the message and its re-reads (a cookie that reached this window late): takes the message’s reason', async () => {
    const { storages, channel, tabB, destroy, focus, followedWith } = await afterSignOutInA()
    channel.flush()
    vi.advanceTimersByTime(2000)
    expect(tabB.getSnapshot().status).toBe('authenticated')
    storages.deliverQuietly()
    focus(1)
    followedWith('signout')
    destroy()
  })

  it('finds a change that reached this window seconds after the message at its last re-read (4 s), with no other event', async () => {
    const { storages, channel, tabB, destroy, followedWith } = await afterSignOutInA()
    channel.flush()
    vi.advanceTimersByTime(2000)
    storages.deliverQuietly()
    vi.advanceTimersByTime(1999)
    expect(tabB.getSnapshot().status).toBe('authenticated')
    vi.advanceTimersByTime(1)
    followedWith('signout')
    destroy()
  })

  it('a call whose answer finds the change after the message took its re-reads gives the message’s reason too', async () => {
    server.use(http.get(`${API}/api/public`, () => HttpResponse.json({})))
    const { storages, channel, tabB, destroy, followedWith } = await afterSignOutInA()
    channel.flush()
    vi.advanceTimersByTime(2000)
    storages.deliverQuietly()
    vi.useRealTimers()
    // An open route: the answer carries no front token, so the call re-reads it.
    expect((await tabB.fetch(`${API}/api/public`)).status).toBe(200)
    followedWith('signout')
    destroy()
  })

  it('a focus with nothing changed re-reads at once and changes nothing', () => {
    const { tabs, destroy, focus } = twoTabs()
    focus(1)
    expect(tabs[1].getSnapshot().status).toBe('authenticated')
    destroy()
  })
})
