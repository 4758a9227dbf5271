/**
 * Bound refresh in the flows (DESIGN "Bound refresh"): reading the request's proof, spending its
 * `jti` once across instances (through the store), and refusing a bound session's request that
 * is not proven by its key — without rotating or revoking, and with the `onBindingFailure` hook.
 * @module
 */

import {
  PROOF_HEADER,
  PROOF_WINDOW_MS,
  ProofError,
  type ProofFailure,
  verifyProof,
} from '../binding/proof.js'
import { UnauthorizedError } from '../errors.js'
import type { ManagerCore, RequestContext } from '../ManagerCore.js'
import type { BindingFailureEvent } from '../SessionManagerOptions.js'
import type { SessionRecord } from '../stores/SessionStore.js'
import type { RequestLike } from '../transport/requestLike.js'

export type { BindingFailureEvent }

/** What a request proved: the key's thumbprint, or why it proved nothing. */
export type PresentedProof = { thumbprint: string } | { thumbprint: null; failure: ProofFailure | 'missing' }

const MISSING: PresentedProof = Object.freeze({ thumbprint: null, failure: 'missing' as const })

/** Binding is in force: the policy is not `off` and the store can spend a `jti` once. */
export const bindingEnabled = (core: ManagerCore): boolean =>
  core.options.binding !== 'off' && typeof core.options.store.claimNonce === 'function'

/**
 * Checks the request's proof for `url` and spends its `jti`. Never throws for bad input: a proof
 * that is missing, malformed, forged, for another request, too old or replayed proves nothing
 * (`thumbprint: null`). A store failure rejects (503 upstream), since then nothing is known.
 */
export async function presentedProof(
  core: ManagerCore,
  request: RequestLike,
  url: URL,
): Promise<PresentedProof> {
  if (!bindingEnabled(core)) return MISSING
  const header = request.headers.get(PROOF_HEADER)
  if (header === null) return MISSING
  const now = core.options.now()
  let thumbprint: string
  let nonceKey: string
  try {
    ;({ thumbprint, nonceKey } = await verifyProof(header, { method: request.method, url }, now))
  } catch (error) {
    if (error instanceof ProofError) return { thumbprint: null, failure: error.reason }
    throw error
  }
  // Kept for twice the window: a proof is acceptable for a window either side of its `iat`.
  const fresh = await core.options.store.claimNonce!(nonceKey, now + 2 * PROOF_WINDOW_MS, now)
  return fresh ? { thumbprint } : { thumbprint: null, failure: 'replayed' }
}

/**
 * The refusal of a bound session's request that `proof` does not prove: `unauthorized`, nothing
 * changed in the store, and the hook told. `null` when the request may go on (the session is not
 * bound and the policy allows that, or the proof is by the session's key).
 */
export function bindingRefusal(
  core: ManagerCore,
  record: SessionRecord,
  proof: PresentedProof,
  request: RequestLike,
  context: RequestContext,
  endpoint: BindingFailureEvent['endpoint'],
): UnauthorizedError | null {
  const bound = record.binding ?? null
  // `off` is the way back: sessions bound earlier refresh without a proof.
  if (core.options.binding === 'off') return null
  if (bound === null) {
    // `required` admits no unbound session, whatever created it (a policy change, an old row).
    return core.options.binding === 'required'
      ? new UnauthorizedError('This session is not bound to a key.')
      : null
  }
  if (proof.thumbprint === bound) return null
  const hook = core.options.onBindingFailure
  if (hook) {
    const event: BindingFailureEvent = {
      sessionId: record.id,
      userId: record.userId,
      ip: context.ip ?? null,
      userAgent: request.headers.get('user-agent'),
      endpoint,
      reason: proof.thumbprint === null ? proof.failure : 'wrong_key',
    }
    // The hook is the application's; its failure must not change the answer.
    Promise.resolve()
      .then(() => hook(event))
      .catch(() => {})
  }
  return new UnauthorizedError('The request is not proven by the key this session is bound to.')
}
