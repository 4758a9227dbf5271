/**
 * Typed calls to the demo API. Every protected call goes through `latch.fetch`, which refreshes
 * the access token once (across tabs) when it has expired and replays the call.
 * @module
 */
import { apiUrl, latch } from './latch'

export interface Note {
  id: string
  text: string
  createdAt: number
}

export interface Device {
  id: string
  createdAt: number
  lastRefreshedAt: number
  userAgent: string | null
  current: boolean
  /** Bound to this browser's key (bound refresh): copied cookies cannot refresh it. */
  bound: boolean
}

/** An API answer that was not a success, with the server's error code when it gave one. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`Request failed (${status} ${code})`)
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await latch.fetch(apiUrl(path), init)
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: unknown } | null
    throw new ApiError(response.status, typeof body?.error === 'string' ? body.error : 'unknown')
  }
  return (response.status === 204 ? undefined : await response.json()) as T
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/**
 * Signs in with the demo's own endpoint, under the client's cross-tab lock: a refresh or
 * sign-out of the previous session still in flight (here or in another tab) lands first, so its
 * answer cannot clear the new session's cookies. The client then reads the new front token.
 */
export async function signIn(username: string, password: string): Promise<void> {
  await latch.signIn(() => call<{ userId: string }>('/api/login', json('POST', { username, password })))
}

export const listNotes = () => call<Note[]>('/api/notes')
export const addNote = (text: string) => call<Note>('/api/notes', json('POST', { text }))
export const listDevices = () => call<Device[]>('/api/sessions')
export const revokeDevice = (id: string) =>
  call<void>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' })
export const revokeOtherDevices = () =>
  call<{ revoked: number }>('/api/sessions/revoke-others', { method: 'POST' })
