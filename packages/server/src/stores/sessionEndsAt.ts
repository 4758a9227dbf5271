import type { SessionRecord } from './SessionStore.js'

/** When a session stops being usable: the earlier of its idle and absolute expiry. */
export function sessionEndsAt(record: Pick<SessionRecord, 'expiresAt' | 'absoluteExpiresAt'>): number {
  return record.absoluteExpiresAt === null
    ? record.expiresAt
    : Math.min(record.expiresAt, record.absoluteExpiresAt)
}

/** Newest first, ties broken by id so every store lists in the same order. */
export function compareNewestFirst(a: SessionRecord, b: SessionRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}
