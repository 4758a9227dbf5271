import type { SessionClient } from '@latch/client'

// One entry per client while a mount-triggered refresh is in flight. Keyed by client rather than
// by component so StrictMode's mount → unmount → mount, and several providers over one client,
// all share a single request.
const inFlight = new WeakMap<SessionClient, Promise<unknown>>()

/**
 * Refreshes when the front token says a session exists but its access token has already expired
 * (a tab woken from sleep, a page restored from the back/forward cache). Refreshing up front shows
 * the real state at once (an expired session turns into `unauthenticated` instead of lingering as
 * `authenticated`) and spares the first API call a 401 round trip.
 *
 * Idempotent: does nothing while a previous call for the same client is pending, and nothing once
 * the snapshot is fresh again.
 * @internal
 */
export function refreshIfExpired(client: SessionClient, now: number = Date.now()): void {
  const snapshot = client.getSnapshot()
  if (snapshot.status !== 'authenticated' || snapshot.session.accessTokenExpiresAt > now) return
  if (inFlight.has(client)) return
  const pending = client
    .refresh()
    // The client reports failures itself (`refreshFailed`, `signedOut` and the snapshot); an
    // effect has no caller to hand the rejection to, and must not leave it unhandled.
    .catch(() => undefined)
    .finally(() => inFlight.delete(client))
  inFlight.set(client, pending)
}
