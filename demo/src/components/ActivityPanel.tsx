import { useSyncExternalStore } from 'react'
import { formatClock } from '../format'
import { activityLog } from '../latch'

/** The live event log: refreshes, other tabs' activity, theft. */
export function ActivityPanel() {
  const entries = useSyncExternalStore(
    activityLog.subscribe,
    activityLog.getSnapshot,
    activityLog.getSnapshot,
  )
  return (
    <section className="card activity" aria-labelledby="activity-title">
      <div className="card-head">
        <h2 id="activity-title">Activity</h2>
        <span className="live">
          <span className="live-dot" aria-hidden="true" /> live
        </span>
      </div>
      {entries.length === 0 ? (
        <p className="empty">Events from this tab and your other tabs appear here as they happen.</p>
      ) : null}
      <ol className="events" data-testid="events" aria-live="polite">
        {entries.map((entry) => (
          <li
            key={entry.id}
            className={`event tone-${entry.tone}`}
            data-event={entry.kind}
            data-reason={entry.reason}
          >
            <span className="event-dot" aria-hidden="true" />
            <div>
              <div className="event-title">{entry.title}</div>
              <div className="muted small">{entry.detail}</div>
              {entry.reason ? <div className="muted small mono">reason: {entry.reason}</div> : null}
            </div>
            <time className="muted small mono">{formatClock(entry.at)}</time>
          </li>
        ))}
      </ol>
    </section>
  )
}
