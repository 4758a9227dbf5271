/**
 * Tells the other tabs that this one signed in, refreshed or signed out. Messages are only a
 * nudge: receivers re-read the front token instead of trusting what the message says, so a forged
 * or stale message cannot change anyone's state.
 * @module
 */
import type { SignedOutReason } from './types'

/** What one tab tells the others. */
export interface BroadcastMessage {
  type: 'signedIn' | 'refreshed' | 'signedOut'
  /** For `signedOut`: why, so the other tabs can report it (and `theftDetected`). */
  reason?: SignedOutReason
}

/** A channel between the tabs of one origin. */
export interface Broadcast {
  post(message: BroadcastMessage): void
  subscribe(listener: (message: BroadcastMessage) => void): () => void
  close(): void
}

/** Creates the channel called `name`; injectable for tests and non-browser hosts. */
export type BroadcastFactory = (name: string) => Broadcast

const REASONS = ['signout', 'unauthorized', 'session_expired', 'token_theft_detected', 'other_tab']

/** Validates a received message; anything else is dropped. */
export function parseBroadcastMessage(data: unknown): BroadcastMessage | null {
  const { type, reason } = (data ?? {}) as Record<string, unknown>
  if (type !== 'signedIn' && type !== 'refreshed' && type !== 'signedOut') return null
  return REASONS.includes(reason as string) ? { type, reason: reason as SignedOutReason } : { type }
}

/** A channel that goes nowhere (SSR, Node). */
export function noopBroadcast(): Broadcast {
  return { post() {}, subscribe: () => () => {}, close() {} }
}

interface WindowLike {
  addEventListener(
    type: 'storage',
    listener: (event: { key: string | null; newValue: string | null }) => void,
  ): void
  removeEventListener(
    type: 'storage',
    listener: (event: { key: string | null; newValue: string | null }) => void,
  ): void
  localStorage?: { setItem(key: string, value: string): void }
}

/**
 * The default channel: a `BroadcastChannel` where available, else `storage` events on
 * localStorage (Safari before 15.4), else nothing. Opens nothing without a window, so SSR never
 * keeps a Node process alive with an open channel.
 */
export const defaultBroadcast: BroadcastFactory = (name) => {
  const win = (globalThis as { window?: WindowLike }).window
  if (!win) return noopBroadcast()
  if (typeof globalThis.BroadcastChannel === 'function') return broadcastChannel(name)
  return storageEventBroadcast(win, name)
}

function broadcastChannel(name: string): Broadcast {
  const channel = new BroadcastChannel(name)
  const listeners = new Set<(message: BroadcastMessage) => void>()
  channel.onmessage = (event: MessageEvent) => {
    const message = parseBroadcastMessage(event.data)
    if (message) for (const listener of [...listeners]) listener(message)
  }
  return {
    post: (message) => {
      try {
        channel.postMessage(message)
      } catch {
        // A closed channel (after destroy) drops the message.
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () => {
      listeners.clear()
      channel.close()
    },
  }
}

function storageEventBroadcast(win: WindowLike, name: string): Broadcast {
  const key = `${name}:message`
  const listeners = new Set<(event: { key: string | null; newValue: string | null }) => void>()
  return {
    post(message) {
      try {
        // The nonce makes repeated identical messages still change the value, which is what
        // fires the event in the other tabs.
        win.localStorage?.setItem(key, JSON.stringify({ ...message, nonce: Math.random() }))
      } catch {
        // Storage blocked: other tabs catch up on focus.
      }
    },
    subscribe(listener) {
      const onStorage = (event: { key: string | null; newValue: string | null }) => {
        if (event.key !== key || event.newValue === null) return
        let data: unknown
        try {
          data = JSON.parse(event.newValue)
        } catch {
          return
        }
        const message = parseBroadcastMessage(data)
        if (message) listener(message)
      }
      listeners.add(onStorage)
      win.addEventListener('storage', onStorage)
      return () => {
        listeners.delete(onStorage)
        win.removeEventListener('storage', onStorage)
      }
    },
    close() {
      for (const listener of listeners) win.removeEventListener('storage', listener)
      listeners.clear()
    },
  }
}
