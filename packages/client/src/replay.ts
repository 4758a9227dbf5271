/**
 * Makes a call replayable: the request is built and cloned before the first send, so its body can
 * be sent again after a refresh. A `ReadableStream` body is not buffered (it may be huge or
 * endless): such a call is sent once, and needing a replay fails with `body_not_replayable`.
 * @module
 */
import { BodyNotReplayableError, InvalidRequestError } from './errors'

/** A call that can hand out fresh copies of its request. */
export interface ReplayableRequest {
  /** The request's absolute URL. */
  readonly url: URL
  /** The caller's abort signal, if any. */
  readonly signal: AbortSignal | null | undefined
  /** A fresh, unsent copy of the request. Throws `BodyNotReplayableError` when the body was a stream already sent. */
  next(): Request
}

/**
 * Builds the request of a `fetch(input, init)` call. Relative URLs resolve against `base` (the
 * page's address, or the API base where there is no page).
 */
export function prepareReplay(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  base: string | undefined,
): ReplayableRequest {
  let original: Request
  try {
    const target = input instanceof Request ? input : new URL(input as string, base)
    original = new Request(target, init)
  } catch (cause) {
    // The cause says what was wrong (a relative URL without a page to resolve it, a GET body…).
    throw new InvalidRequestError('Invalid request.', { cause })
  }
  // A ReadableStream (the only body kind with a reader) can be sent once.
  const streaming = typeof (init?.body as ReadableStream | undefined)?.getReader === 'function'
  let sent = false
  return {
    url: new URL(original.url),
    signal: init?.signal ?? (input as Request).signal,
    next() {
      if (streaming) {
        if (sent) throw new BodyNotReplayableError()
        sent = true
        return original
      }
      // Each send gets its own clone; the original stays unread as the template for the next one.
      return original.clone()
    },
  }
}
