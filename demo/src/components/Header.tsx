import { useSession } from '@latch/react'
import { useState } from 'react'

/** Top bar: product name, and who is signed in with a sign-out button. */
export function Header() {
  const { status, session, signOut } = useSession()
  const [busy, setBusy] = useState(false)
  const onSignOut = async () => {
    setBusy(true)
    try {
      await signOut()
    } finally {
      setBusy(false)
    }
  }
  return (
    <header className="topbar">
      <div className="brand">
        <img src="/favicon.svg" alt="" width={28} height={28} />
        <span className="brand-name">Latch</span>
        <span className="brand-tag">demo</span>
      </div>
      {status === 'authenticated' && session ? (
        <div className="account" data-testid="account">
          <span className="avatar" aria-hidden="true">
            {session.userId.slice(0, 1).toUpperCase()}
          </span>
          <span className="account-name">
            Signed in as <strong data-testid="user">{session.userId}</strong>
          </span>
          <button type="button" className="button ghost" onClick={onSignOut} disabled={busy}>
            Sign out
          </button>
        </div>
      ) : null}
    </header>
  )
}
