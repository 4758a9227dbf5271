/**
 * Calls for the profile and admin panels (claims update, key revocation), through `latch.fetch`.
 * @module
 */
import { ApiError } from './api'
import { latch } from './latch'

async function send<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await latch.fetch(path, init)
  const body = (await response.json().catch(() => null)) as (T & { error?: unknown }) | null
  if (!response.ok)
    throw new ApiError(response.status, typeof body?.error === 'string' ? body.error : 'unknown')
  return body as T
}

export interface Me {
  userId: string
  sessionId: string
  claims: Record<string, unknown>
}

/** `GET /api/me`: after a claims change or a key revocation, this is the call that meets `try_refresh`. */
export const getMe = () => send<Me>('/api/me')

/** `PUT /api/me/profile`: renames every session of the user (a claims update, pushed). */
export const updateDisplayName = (displayName: string) =>
  send<{ displayName: string; sessions: number }>('/api/me/profile', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ displayName }),
  })

/** `POST /api/admin/keys/revoke-current` (only with `LATCH_DEMO_ADMIN=1`). */
export const revokeSigningKey = () =>
  send<{ revokedKid: string; currentKid: string }>('/api/admin/keys/revoke-current', { method: 'POST' })

/** Whether the admin panel is enabled on this server (`GET /api/health`, open). */
export async function adminEnabled(): Promise<boolean> {
  const response = await fetch('/api/health')
  const body = (await response.json().catch(() => null)) as { admin?: unknown } | null
  return body?.admin === true
}
