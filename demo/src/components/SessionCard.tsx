import { useSession } from '@latch/react'
import { useRef, useState } from 'react'
import { shortId } from '../activityLog'
import { formatCountdown } from '../format'
import { useNow } from '../useNow'

/**
 * The session at a glance: a live countdown to the access token's expiry. When it reaches zero
 * nothing breaks: the next API call (from any tab) refreshes once and every tab moves on.
 */
export function SessionCard() {
  const { session, refresh } = useSession()
  const now = useNow(250)
  const [refreshing, setRefreshing] = useState(false)
  // The front token carries the expiry, not the issue time: remember when each expiry was
  // first seen so the bar shows the share of the token's life that is left.
  const lifetime = useRef<{ expiresAt: number; seenAt: number } | null>(null)
  if (!session) return null
  if (lifetime.current?.expiresAt !== session.accessTokenExpiresAt) {
    lifetime.current = { expiresAt: session.accessTokenExpiresAt, seenAt: Math.min(now, Date.now()) }
  }
  const remaining = session.accessTokenExpiresAt - now
  const span = Math.max(1, lifetime.current.expiresAt - lifetime.current.seenAt)
  const share = Math.min(1, Math.max(0, remaining / span))
  const expired = remaining <= 0

  const onRefresh = async () => {
    setRefreshing(true)
    try {
      await refresh()
    } finally {
      setRefreshing(false)
    }
  }

  return (
    <section className="card session" aria-labelledby="session-title">
      <div className="card-head">
        <h2 id="session-title">Your session</h2>
        <span className={`badge ${expired ? 'badge-warning' : 'badge-success'}`}>
          {expired ? 'Access token expired' : 'Active'}
        </span>
      </div>
      <div className="countdown">
        <div>
          <div className="countdown-value" data-testid="countdown">
            {formatCountdown(remaining)}
          </div>
          <div className="muted small">
            {expired
              ? 'The next request refreshes it, once for every tab.'
              : 'until the access token expires'}
          </div>
        </div>
        <button type="button" className="button secondary" onClick={onRefresh} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh now'}
        </button>
      </div>
      <div className="meter" role="presentation">
        <div className={`meter-fill ${share < 0.2 ? 'low' : ''}`} style={{ width: `${share * 100}%` }} />
      </div>
      <dl className="facts">
        <div>
          <dt>User</dt>
          <dd>{session.userId}</dd>
        </div>
        <div>
          <dt>Session</dt>
          <dd className="mono" title={session.sessionId}>
            {shortId(session.sessionId)}
          </dd>
        </div>
        <div>
          <dt>Refresh generation</dt>
          <dd data-testid="generation">{session.generation}</dd>
        </div>
        <div>
          <dt>Expires at</dt>
          <dd>{new Date(session.accessTokenExpiresAt).toLocaleTimeString(undefined, { hour12: false })}</dd>
        </div>
      </dl>
    </section>
  )
}
