/**
 * The answer Latch's endpoints produce before it becomes a framework's response. Building a Web
 * `Response` (and its `Headers`) costs more CPU than the rest of a refresh's JavaScript, so the
 * flows build this plain object and each binding writes it its own way: `handle` turns it into a
 * `Response`, the express adapter writes it straight to `res`.
 * @module
 */

/** A plain HTTP answer: status, headers, `Set-Cookie` lines and a JSON body. */
export interface LatchAnswer {
  /** HTTP status code. */
  status: number
  /** Response headers other than `Set-Cookie`, by lower-case name. */
  headers: Record<string, string>
  /** `Set-Cookie` values, one per cookie, in order (empty in header transport). */
  cookies: string[]
  /** The body: JSON text, or `null` for none (a `HEAD` request). */
  body: string | null
}

/** Headers and cookies of an answer, before its status and body are known. */
export type AnswerHeaders = Pick<LatchAnswer, 'headers' | 'cookies'>

/** A JSON answer with the given headers and cookies (`content-type` is set here). */
export function jsonAnswer(body: unknown, parts: AnswerHeaders, status = 200): LatchAnswer {
  parts.headers['content-type'] = 'application/json; charset=utf-8'
  return { status, headers: parts.headers, cookies: parts.cookies, body: JSON.stringify(body) }
}

/** Web `Headers` holding an answer's headers and cookies. */
export function toHeaders(parts: AnswerHeaders): Headers {
  const headers = new Headers(parts.headers)
  for (const cookie of parts.cookies) headers.append('set-cookie', cookie)
  return headers
}

/** The Web `Response` of an answer. */
export function toWebResponse(answer: LatchAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: toHeaders(answer) })
}
