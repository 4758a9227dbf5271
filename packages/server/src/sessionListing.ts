/**
 * The device-list view of a session: what an app shows on a "your sessions" page. No hashes.
 * @module
 */
import type { SessionRecord } from './stores/SessionStore.js'

/** One entry of `listUserSessions`. Times are epoch milliseconds. */
export interface SessionListing {
  id: string
  userId: string
  createdAt: number
  lastRefreshedAt: number
  expiresAt: number
  userAgent: string | null
  ip: string | null
  /** True for the session the caller asked about (usually the one making the request). */
  current: boolean
  /** True when the session is bound to a key (bound refresh): a copy of its tokens cannot refresh it. */
  bound: boolean
}

/** Projects a stored record onto its listing. */
export function listedSession(record: SessionRecord, currentSessionId: string | null): SessionListing {
  return {
    id: record.id,
    userId: record.userId,
    createdAt: record.createdAt,
    lastRefreshedAt: record.lastRefreshedAt,
    expiresAt:
      record.absoluteExpiresAt === null
        ? record.expiresAt
        : Math.min(record.expiresAt, record.absoluteExpiresAt),
    userAgent: record.userAgent,
    ip: record.ip,
    current: record.id === currentSessionId,
    bound: (record.binding ?? null) !== null,
  }
}
