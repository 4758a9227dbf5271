'use client'
/**
 * Sign-in through the app's own route handler (POST /api/login), then `latch.sync()` so this tab
 * and the others read the new front token; the provider re-renders the server part.
 */
import { useSessionClient } from '@latch/react'
import { type FormEvent, useState } from 'react'

export function SignInForm() {
  const latch = useSessionClient()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setBusy(true)
    setError(null)
    try {
      const response = await latch.fetch('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
      })
      if (response.ok) latch.sync()
      else
        setError(
          response.status === 401 ? 'Wrong username or password.' : `Sign-in failed (${response.status}).`,
        )
    } catch {
      setError('Network error; try again.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={onSubmit} aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      <label>
        Username <input name="username" autoComplete="username" defaultValue="alice" />
      </label>
      <label>
        Password <input name="password" type="password" autoComplete="current-password" />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      <p>Demo users: alice / wonderland, bob / builder.</p>
      {error !== null && <p role="alert">{error}</p>}
    </form>
  )
}
