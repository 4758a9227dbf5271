/**
 * The live event log: a tiny external store fed by the session client's events, read by
 * React through `useSyncExternalStore`. It outlives sign-outs on purpose: after a theft the
 * page is signed out and this log is where the user learns why.
 * @module
 */
import type { SessionClient, SessionEvents, SignedOutReason } from '@latch/client'

export type ActivityKind =
  | 'signedIn'
  | 'refreshed'
  | 'refreshedElsewhere'
  | 'signedOut'
  | 'signedOutElsewhere'
  | 'revoked'
  | 'theftDetected'
  | 'refreshFailed'
  | 'lateAnswer'
  | 'keyLost'

export type ActivityTone = 'info' | 'success' | 'warning' | 'danger'

export interface ActivityEntry {
  id: number
  at: number
  kind: ActivityKind
  tone: ActivityTone
  title: string
  detail: string
  /** For a sign-out: the client's reason code (`SignedOutReason`), shown as is. */
  reason?: SignedOutReason
}

export interface ActivityLog {
  getSnapshot(): readonly ActivityEntry[]
  subscribe(listener: () => void): () => void
}

/** Keeps the page light however long a tab stays open. */
const MAX_ENTRIES = 40

const SIGNED_OUT: Record<Exclude<SignedOutReason, 'other_tab'>, Omit<ActivityEntry, 'id' | 'at'>> = {
  signout: { kind: 'signedOut', tone: 'info', title: 'Signed out', detail: 'The session was ended here.' },
  unauthorized: {
    kind: 'revoked',
    tone: 'warning',
    title: 'Session ended by the server',
    detail: 'It was revoked, perhaps from another device.',
  },
  session_expired: {
    kind: 'signedOut',
    tone: 'warning',
    title: 'Session expired',
    detail: 'It was idle for longer than the session lifetime.',
  },
  token_theft_detected: {
    kind: 'signedOut',
    tone: 'danger',
    title: 'Signed out for safety',
    detail: 'A reused refresh token revoked the session.',
  },
  key_lost: {
    kind: 'keyLost',
    tone: 'warning',
    title: 'Signed out: this browser lost its key',
    detail: 'The session was bound to a key this browser no longer has (site data cleared). Sign in again.',
  },
}

/** Every sign-out says why: the entry carries the reason code, in this tab and in the others. */
function describeSignedOut({ reason, origin }: SessionEvents['signedOut']): Omit<ActivityEntry, 'id' | 'at'> {
  if (origin === 'other_tab' || reason === 'other_tab') {
    const why = reason === 'other_tab' || reason === 'signout' ? '' : ` ${SIGNED_OUT[reason].title}.`
    return {
      kind: 'signedOutElsewhere',
      tone: reason === 'token_theft_detected' ? 'danger' : 'info',
      title: 'Signed out in another tab',
      detail: `Every tab follows.${why}`,
      reason,
    }
  }
  return { ...SIGNED_OUT[reason], reason }
}

/** Subscribes to `client`'s events and turns them into human-readable entries, newest first. */
export function createActivityLog(client: SessionClient, now: () => number = () => Date.now()): ActivityLog {
  let entries: readonly ActivityEntry[] = []
  let nextId = 1
  const listeners = new Set<() => void>()

  const push = (entry: Omit<ActivityEntry, 'id' | 'at'>) => {
    entries = [{ ...entry, id: nextId++, at: now() }, ...entries].slice(0, MAX_ENTRIES)
    for (const listener of listeners) listener()
  }

  client.on('signedIn', ({ session, origin }) =>
    push({
      kind: 'signedIn',
      tone: 'success',
      title: origin === 'this_tab' ? `Signed in as ${session.userId}` : 'Signed in in another tab',
      detail: `Session ${shortId(session.sessionId)}`,
    }),
  )
  // The display name (public claim) as last seen, so a refresh that changes it says so.
  let name = client.getSnapshot().session?.claims?.name
  client.on('refreshed', ({ session, origin }) => {
    const changed = session.claims?.name !== name && name !== undefined
    name = session.claims?.name
    const news = changed ? ` It brought the new display name “${String(name)}”.` : ''
    push(
      origin === 'this_tab'
        ? {
            kind: 'refreshed',
            tone: 'success',
            title: 'Access token refreshed',
            detail: `Refresh token rotated to generation ${session.generation}.${news}`,
          }
        : {
            kind: 'refreshedElsewhere',
            tone: 'info',
            title: 'Refreshed by another tab',
            detail: `This tab reuses generation ${session.generation}: no second refresh.${news}`,
          },
    )
  })
  client.on('signedIn', ({ session }) => {
    name = session.claims?.name
  })
  client.on('signedOut', (payload) => push(describeSignedOut(payload)))
  client.on('theftDetected', () =>
    push({
      kind: 'theftDetected',
      tone: 'danger',
      title: 'Theft detected',
      detail: 'An old refresh token was used again, so the whole session was revoked. Sign in again.',
    }),
  )
  client.on('lateAnswer', ({ reason, sessionId }) =>
    push({
      kind: 'lateAnswer',
      tone: 'info',
      title: 'Ignored a late answer',
      detail: `“${reason}” for the previous session${sessionId ? ` ${shortId(sessionId)}` : ''}: a newer session is signed in.`,
    }),
  )
  client.on('refreshFailed', ({ error }) =>
    push({
      kind: 'refreshFailed',
      tone: 'warning',
      title: 'Refresh failed, still signed in',
      detail: error.message,
    }),
  )

  return {
    getSnapshot: () => entries,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** Session ids are long; the first characters are enough to tell sessions apart on screen. */
export function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id
}
