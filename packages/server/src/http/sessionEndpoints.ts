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

/** `POST {base}/refresh`. Always resolves an answer (errors per the contract); `url` as the router parsed it. */
export function refreshSession(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext,
  url: URL,
): Promise<LatchAnswer> {
  return answered(core, request, url, async (presented) => {
    const issued = await refreshFlow(core, request, context, presented, url)
    return jsonAnswer(
      { session: issued.front },
      sessionHeaders(presented.transport, presented.context, issued),
    )
  })
}

/** `POST {base}/signout`: idempotent. Always resolves an answer (errors per the contract). */
export function signOutSession(
  core: ManagerCore,
  request: RequestLike,
  context: RequestContext,
  url: URL,
): Promise<LatchAnswer> {
  return answered(core, request, url, async (presented) => {
    await signOutFlow(core, request, context, presented, url)
    return jsonAnswer({ ok: true }, endedSessionHeaders(presented.transport, presented.context))
  })
}

/** Runs an endpoint on what the request presents, answering a `LatchError` per the contract. */
async function answered(
  core: ManagerCore,
  request: RequestLike,
  url: URL,
  run: (presented: Presented) => Promise<LatchAnswer>,
): Promise<LatchAnswer> {
  let presented: Presented | null = null
  try {
    presented = presentedToken(core, request, url)
    return await run(presented)
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
