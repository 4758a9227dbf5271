/**
 * The TypeScript home of the rotation rule — "the presented token is current and the session is
 * live → rotate" — and of the update a rotation writes. `decideRefresh` (rule 1), the refresh
 * flow and every store that runs `rotateIfCurrent` in JavaScript use these functions; the Lua
 * (Redis) and SQL (Postgres) versions are checked against `currentRotationOf` by the store
 * conformance suite. It lives with the stores, the lowest part that needs it.
 * @module
 */
import { safeEqual } from '../encoding.js'
import type { CurrentRotation, RotationUpdate, SessionRecord } from './SessionStore.js'

/** The session has passed neither its idle nor its absolute expiry at `now`. */
export function sessionLiveAt(
  record: Pick<SessionRecord, 'expiresAt' | 'absoluteExpiresAt'>,
  now: number,
): boolean {
  return now < record.expiresAt && (record.absoluteExpiresAt === null || now < record.absoluteExpiresAt)
}

/**
 * The update a rotation of `record` writes: the new token fields as given, the next generation,
 * and the idle expiry capped by the absolute one. Built here once for every caller.
 */
export function rotationUpdate(
  record: Pick<SessionRecord, 'generation' | 'absoluteExpiresAt'>,
  rotation: CurrentRotation,
): RotationUpdate {
  const absolute = record.absoluteExpiresAt
  return {
    ...currentRotationFields(rotation),
    generation: record.generation + 1,
    expiresAt: absolute === null ? rotation.idleExpiresAt : Math.min(rotation.idleExpiresAt, absolute),
  }
}

/**
 * The update `rotateIfCurrent` applies to `record`: `null` unless `presentedHash` is current
 * (compared in constant time) and the session is live at `now` and not bound to another key (the
 * same conditions under which `decideRefresh` says `rotate`).
 */
export function currentRotationOf(
  record: SessionRecord | null,
  presentedHash: string,
  rotation: CurrentRotation,
  now: number,
): RotationUpdate | null {
  if (record === null || !safeEqual(presentedHash, record.currentHash)) return null
  // A bound session rotates only for a request proven by its key (the manager decides the rest).
  if ((record.binding ?? null) !== null && record.binding !== (rotation.binding ?? null)) return null
  if (!sessionLiveAt(record, now)) return null
  return rotationUpdate(record, rotation)
}

/** The fields of `rotation` a store writes as they are (generation and expiry are derived). */
export function currentRotationFields(rotation: CurrentRotation): Omit<CurrentRotation, 'idleExpiresAt'> {
  return {
    currentHash: rotation.currentHash,
    previousHash: rotation.previousHash,
    rotatedAt: rotation.rotatedAt,
    successorSealed: rotation.successorSealed,
    lastRefreshedAt: rotation.lastRefreshedAt,
  }
}

/** Exactly the fields of a `RotationUpdate`, so a store never writes what a caller added to it. */
export function pickRotation(update: RotationUpdate): RotationUpdate {
  return {
    generation: update.generation,
    currentHash: update.currentHash,
    previousHash: update.previousHash,
    rotatedAt: update.rotatedAt,
    successorSealed: update.successorSealed,
    lastRefreshedAt: update.lastRefreshedAt,
    expiresAt: update.expiresAt,
  }
}
