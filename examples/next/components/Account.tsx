'use client'
/**
 * The browser's view of the session (`useSession()`), and a protected call through
 * `latch.fetch`, which refreshes once on `401 try_refresh` and replays.
 */
import { useSession, useSessionClient } from '@latch/react'
import { useState } from 'react'

export function Account() {
  const { status, session, signOut } = useSession()
  const latch = useSessionClient()
  const [profile, setProfile] = useState<string | null>(null)

  if (status === 'loading') return <p data-testid="client-status">Checking your session…</p>
  if (status === 'unauthenticated') return <p data-testid="client-status">Signed out</p>

  async function loadProfile() {
    const response = await latch.fetch('/api/me')
    if (!response.ok) return setProfile(`error ${response.status}`)
    const me = (await response.json()) as { userId: string; name: string | null }
    setProfile(`${me.name ?? me.userId} (from /api/me)`)
  }

  return (
    <section aria-label="Browser session">
      <p data-testid="client-user">
        Browser session: {session.userId}, generation {session.generation}
      </p>
      <button type="button" onClick={loadProfile}>
        Load my profile
      </button>
      {profile !== null && <p data-testid="profile">{profile}</p>}
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </section>
  )
}
