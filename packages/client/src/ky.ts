/**
 * `@latch/client/ky`: a ky instance whose requests go through the session client's `fetch`, so
 * they share its single in-flight refresh and cross-tab lock, and replay after a refresh whatever
 * `retry` limit is configured (the replay happens below ky's retry logic, which never sees the
 * `try_refresh` answer).
 * @module
 */
import ky, { type KyInstance, type Options } from 'ky'
import type { SessionClient } from './types'

/**
 * Creates a ky instance bound to `client`. `kyOptions` are ky's own (`prefix`, `retry`, `timeout`,
 * `hooks`…); its `fetch` option is replaced by the client's (give the client a `fetch` option
 * instead).
 *
 * @example
 * const api = latchKy(latch, { prefix: '/api' })
 * const me = await api.get('me').json()
 */
export function latchKy(client: SessionClient, kyOptions: Options = {}): KyInstance {
  return ky.create({ ...kyOptions, fetch: client.fetch })
}

/**
 * Options to extend an existing ky instance with: `existing.extend(latchKyOptions(client))`.
 * Defaults to nothing but the client's `fetch`.
 */
export function latchKyOptions(client: SessionClient): Pick<Options, 'fetch'> {
  return { fetch: client.fetch }
}
