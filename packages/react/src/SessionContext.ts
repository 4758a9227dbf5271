import type { SessionClient, SessionInfo, SessionSnapshot } from '@latch/client'
import { createContext } from 'react'

/**
 * What the provider hands to the hooks. Everything here is stable for a given client (and a given
 * initial session), so a provider re-render never re-renders the consumers by itself.
 * @internal
 */
export interface SessionContextValue {
  client: SessionClient
  /** `client.subscribe`, bound: a class-based client would lose `this` when passed bare. */
  subscribe: (listener: () => void) => () => void
  /** `client.getSnapshot`, bound. */
  getSnapshot: () => SessionSnapshot
  /** The snapshot used on the server and during hydration, built from `initialSession`. */
  getServerSnapshot: () => SessionSnapshot
  signOut: () => Promise<void>
  refresh: () => Promise<SessionInfo | null>
}

/** @internal */
export const SessionContext = createContext<SessionContextValue | null>(null)
SessionContext.displayName = 'LatchSessionContext'
