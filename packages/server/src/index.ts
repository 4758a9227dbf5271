/**
 * `@latch/server`: sessions for SPAs and Node backends — short-lived JWT access tokens, rotating
 * refresh tokens with theft detection, signing-key rotation, pushed revocation.
 * @module
 */

export {
  MAX_PROOF_LENGTH,
  PROOF_HEADER,
  PROOF_TYPE,
  PROOF_WINDOW_MS,
  ProofError,
  type ProofFailure,
  type ProofTarget,
  type VerifiedProof,
  verifyProof,
} from './binding/proof.js'
export {
  type CreatedSession,
  type CreateSessionInput,
  createSessionManager,
  type SessionManager,
  type SessionManagerStats,
} from './createSessionManager.js'
export { type Duration, parseDuration } from './durations.js'
export {
  CsrfError,
  isLatchError,
  LatchError,
  type LatchErrorCode,
  MethodNotAllowedError,
  SessionExpiredError,
  StoreUnavailableError,
  TokenTheftError,
  TryRefreshError,
  toResponse,
  UnauthorizedError,
} from './errors.js'
export type { ReadSessionInput, ReadSessionResult } from './http/readSession.js'
export type { RequestContext } from './ManagerCore.js'
export type {
  BindingFailureEvent,
  PresentedProof,
} from './refresh/binding.js'
export { decideRefresh, type PresentedTokenFacts, type RefreshDecision } from './refresh/rotation.js'
export {
  type BindingPolicy,
  type ExplicitKey,
  type SessionManagerOptions,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type TheftEvent,
} from './SessionManagerOptions.js'
export type { SessionListing } from './sessionListing.js'
export { type MemoryStoreOptions, memoryStore } from './stores/memory.js'
export type {
  CurrentRotation,
  Revocation,
  RevocationReason,
  RevocationSubscriber,
  RotationUpdate,
  SessionRecord,
  SessionStore,
  StoredKey,
} from './stores/SessionStore.js'
export { isStoreError, StoreError, type StoreErrorCode } from './stores/StoreError.js'
export type { SweepOptions } from './stores/Sweeper.js'
export { ACCESS_TOKEN_TYPE, type VerifiedSession } from './tokens/accessToken.js'
export type { LegacyCookieLocation } from './transport/cookies.js'
export type { FrontToken } from './transport/frontToken.js'
export {
  ACCESS_TOKEN_HEADER,
  allowedHeaders,
  CSRF_HEADER,
  ERROR_HEADER,
  exposedHeaders,
  FRONT_TOKEN_HEADER,
  REFRESH_TOKEN_HEADER,
  TRANSPORT_HEADER,
  type Transport,
} from './transport/headers.js'
export type { RequestLike } from './transport/requestLike.js'
