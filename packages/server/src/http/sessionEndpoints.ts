/**
 * `POST {base}/refresh` and `POST {base}/signout` as answers: each reads what the request
 * presents, runs its flow (`refresh/refreshFlow.ts`) and only translates the outcome — the
 * issued tokens into session headers, a `LatchError` into its contract answer.
 * @module
 */
import { LatchError, toAnswer } from '../errors.js'
import { jsonAnswer, type LatchAnswer } from '../LatchAnswer.js'
import type { ManagerCore, RequestContext } from '../ManagerCore.js'
import { type Presented, presentedToken } from '../refresh/presented.js'
import { refreshFlow, signOutFlow } from '../refresh/refreshFlow.js'
import type { RequestLike } from '../transport/requestLike.js'
import { endedSessionHeaders, sessionHeaders } from '../transport/sessionHeaders.js'

/** `POST {base}/refresh`. Always resolves an answer (errors per the contract); `url` when already parsed. */
export async function refreshSession(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext = {},
  url?: URL,
): Promise<LatchAnswer> {
  let presented: Presented | null = null
  try {
    presented = presentedToken(core, request, url)
    const issued = await refreshFlow(core, request, context, presented, url)
    return jsonAnswer(
      { session: issued.front },
      sessionHeaders(presented.transport, presented.context, issued),
    )
  } catch (error) {
    if (error instanceof LatchError) return errorAnswer(error, presented)
    throw error
  }
}

/** `POST {base}/signout`: idempotent. Always resolves an answer (errors per the contract). */
export async function signOutSession(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext = {},
  url?: URL,
): Promise<LatchAnswer> {
  let presented: Presented | null = null
  try {
    presented = presentedToken(core, request, url)
    await signOutFlow(core, request, context, presented, url)
    return jsonAnswer({ ok: true }, endedSessionHeaders(presented.transport, presented.context))
  } catch (error) {
    if (error instanceof LatchError) return errorAnswer(error, presented)
    throw error
  }
}

/** Answers an error; errors that mean "the session is gone" also clear the client's session. */
function errorAnswer(error: LatchError, presented: Presented | null): LatchAnswer {
  const ends = ['unauthorized', 'session_expired', 'token_theft_detected'].includes(error.code)
  return toAnswer(
    error,
    ends && presented ? endedSessionHeaders(presented.transport, presented.context) : undefined,
  )
}
