import { useEffect, useState } from 'react'
import { adminEnabled, getMe, revokeSigningKey } from '../profileApi'

/**
 * Shown only when the server runs with `LATCH_DEMO_ADMIN=1`: what an operator does after a
 * signing-key leak. Every tab's token is refused at once; one refresh, shared by the tabs, gets a
 * token signed by the replacement, and nobody is signed out.
 */
export function AdminPanel() {
  const [enabled, setEnabled] = useState(false)
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<string | null>(null)

  useEffect(() => {
    let cancelled = false
    adminEnabled().then(
      (on) => !cancelled && setEnabled(on),
      () => {},
    )
    return () => {
      cancelled = true
    }
  }, [])
  if (!enabled) return null

  const revoke = async () => {
    setBusy(true)
    try {
      const { revokedKid, currentKid } = await revokeSigningKey()
      setResult(`Revoked key ${revokedKid}; now signing with ${currentKid}.`)
      // This tab's token was signed by the revoked key: the call refreshes once.
      await getMe()
    } catch {
      setResult('Could not revoke the signing key.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="admin-title">
      <div className="card-head">
        <h2 id="admin-title">Admin</h2>
        <span className="badge badge-warning">LATCH_DEMO_ADMIN=1</span>
      </div>
      <p className="muted small">
        A leaked signing key is revoked now: it leaves the JWKS, its tokens are refused everywhere, and every
        client refreshes once.
      </p>
      <button type="button" className="button secondary" onClick={revoke} disabled={busy}>
        {busy ? 'Revoking…' : 'Revoke signing key'}
      </button>
      {result ? (
        <p className="small" role="status" data-testid="admin-result">
          {result}
        </p>
      ) : null}
    </section>
  )
}
