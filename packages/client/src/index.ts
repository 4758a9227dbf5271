/**
 * `@latch/client`: the browser SDK of Latch sessions. A `fetch` that refreshes once across all
 * tabs and replays, session state for UI bindings, cross-tab sync.
 * @module
 */
export type { Broadcast, BroadcastFactory, BroadcastMessage } from './broadcast'
export { createSessionClient } from './createSessionClient'
export {
  BodyNotReplayableError,
  InvalidOptionError,
  InvalidRequestError,
  isLatchError,
  isLatchErrorWithCode,
  LatchError,
  type LatchErrorCode,
  LatchNetworkError,
  LockTimeoutError,
  RefreshFailedError,
  RefreshLoopError,
  RefreshTimeoutError,
  SignOutFailedError,
} from './errors'
export { decodeFrontToken } from './frontToken'
export { initialSessionOf, type ReadSessionResultLike } from './initialSessionOf'
export type { LockFn } from './locks/LockFn'
export { type LocalStorageLockOptions, localStorageLock } from './locks/localStorageLock'
export { processLock } from './locks/processLock'
export { type LockManagerLike, type WebLocksOptions, webLocks } from './locks/webLocks'
export type { SessionClientOptions, Transport } from './options'
export { memoryStorage, type StateStorage } from './storage'
export type {
  SessionClient,
  SessionEventName,
  SessionEvents,
  SessionInfo,
  SessionSnapshot,
  SignedOutReason,
} from './types'
