/**
 * Tells the other tabs that this one signed in, refreshed or signed out. Messages are only a
 * nudge: receivers re-read the front token instead of trusting what the message says, so a forged
 * or stale message cannot change anyone's state.
 * @module
 */
import { SESSION_ENDING_CODES } from './refreshRequest'
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

const TYPES = ['signedIn', 'refreshed', 'signedOut']
// The session-ending codes are reasons too: one list, so a new one (`key_lost`) travels as well.
const REASONS = ['signout', 'other_tab', ...SESSION_ENDING_CODES]

/** Validates a received message; anything else is dropped. */
export function parseBroadcastMessage(data: unknown): BroadcastMessage | null {
  const { type, reason } = (data ?? {}) as BroadcastMessage
  return TYPES.includes(type) ? { type, reason: REASONS.includes(reason!) ? reason : undefined } : null
}

// Events of BroadcastChannel and window alike.
type Listener = (event: any) => void

interface Target {
  addEventListener(type: string, listener: Listener): void
  removeEventListener(type: string, listener: Listener): void
}

/**
 * A channel over events of `target`: `read` takes the message out of an event (throwing or
 * returning nothing for events that are not ours), `send` posts one, `end` closes the transport.
 */
function eventBroadcast(
  target: Target,
  type: string,
  read: Listener,
  send: (message: BroadcastMessage) => void,
  end?: () => void,
): Broadcast {
  return {
    post(message) {
      try {
        send(message)
      } catch {
        // A closed channel (after destroy) or blocked storage drops the message: other tabs
        // catch up on focus.
      }
    },
    subscribe(listener) {
      const onEvent: Listener = (event) => {
        let message: BroadcastMessage | null = null
        try {
          message = parseBroadcastMessage(read(event))
        } catch {}
        if (message) listener(message)
      }
      target.addEventListener(type, onEvent)
      return () => target.removeEventListener(type, onEvent)
    },
    // The client unsubscribes before closing (the default channel is not exported).
    close: () => end?.(),
  }
}

/**
 * The default channel: a `BroadcastChannel` where available, else `storage` events on
 * localStorage (Safari before 15.4), else nothing. Opens nothing without a window, so SSR never
 * keeps a Node process alive with an open channel.
 */
export const defaultBroadcast: BroadcastFactory = (name) => {
  const win = (globalThis as { window?: Target & { localStorage?: Storage } }).window
  if (!win) return { post() {}, subscribe: () => () => {}, close() {} }
  if (typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(name)
    return eventBroadcast(
      channel,
      'message',
      (event: MessageEvent) => event.data,
      (message) => channel.postMessage(message),
      () => channel.close(),
    )
  }
  const key = `${name}:message`
  return eventBroadcast(
    win,
    'storage',
    (event: StorageEvent) => event.key === key && JSON.parse(event.newValue!),
    // The nonce makes repeated identical messages still change the value, which is what fires
    // the event in the other tabs.
    (message) => win.localStorage!.setItem(key, JSON.stringify({ ...message, nonce: Math.random() })),
  )
}
