import { useSession } from '@latch/react'
import { type FormEvent, useState } from 'react'
import { ApiError } from '../api'
import { getMe, updateDisplayName } from '../profileApi'

const MAX_LENGTH = 60

/**
 * The display name, from the session's public `name` claim (the front token: no API call). Saving
 * changes it on every session of the user; this tab's next call then meets `try_refresh`, and
 * the one refresh it makes (shared by every tab) brings the new name everywhere.
 */
export function ProfilePanel() {
  const { session } = useSession()
  const name = typeof session?.claims?.name === 'string' ? session.claims.name : session?.userId
  const [draft, setDraft] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await updateDisplayName(draft.trim())
      setDraft('')
      // The old access token is stale now: this call refreshes once and brings the new claims.
      await getMe()
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_display_name'
          ? `A display name has 1–${MAX_LENGTH} characters.`
          : 'Could not save the display name.',
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="profile-title">
      <div className="card-head">
        <h2 id="profile-title">Profile</h2>
        <span className="muted small">a public claim, shown from the front token</span>
      </div>
      <p>
        Display name: <strong data-testid="display-name">{name}</strong>
      </p>
      <form className="inline-form" onSubmit={submit}>
        <input
          name="displayName"
          placeholder="New display name"
          aria-label="Display name"
          maxLength={MAX_LENGTH}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || draft.trim() === ''}>
          Save
        </button>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  )
}
