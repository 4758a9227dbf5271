/**
 * The rule of `SessionStore.rotateIfCurrent`, in one place for the stores that run it in
 * JavaScript and for the manager, which builds the rotated record from what the store read.
 * @module
 */
import type { CurrentRotation, RotationUpdate, SessionRecord } from './SessionStore.js'

/**
 * The update `rotateIfCurrent` applies to `record`: `null` unless `presentedHash` is current and
 * the session is live at `now` and not bound to another key (the same conditions under which `decideRefresh` says `rotate`).
 */
export function currentRotationOf(
  record: SessionRecord | null,
  presentedHash: string,
  rotation: CurrentRotation,
  now: number,
): RotationUpdate | null {
  if (record === null || record.currentHash !== presentedHash) return null
  // A bound session rotates only for a request proven by its key (the manager decides the rest).
  if ((record.binding ?? null) !== null && record.binding !== (rotation.binding ?? null)) return null
  const absolute = record.absoluteExpiresAt
  if (now >= record.expiresAt || (absolute !== null && now >= absolute)) return null
  return {
    ...currentRotationFields(rotation),
    generation: record.generation + 1,
    expiresAt: absolute === null ? rotation.idleExpiresAt : Math.min(rotation.idleExpiresAt, absolute),
  }
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
