import { type FormEvent, useState } from 'react'
import { ApiError, signIn } from '../api'

const DEMO_USERS = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
]

/** The sign-in form, with the demo users one click away. */
export function SignInCard() {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await signIn(username, password)
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_credentials'
          ? 'That username and password do not match.'
          : 'Could not sign in. Is the server running?',
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card signin" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p className="muted">
        Sessions that stay signed in across tabs, refresh once for all of them, and notice stolen tokens.
      </p>
      <form onSubmit={submit} className="form">
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div className="demo-users">
        <span className="muted">Demo users</span>
        {DEMO_USERS.map((user) => (
          <button
            key={user.username}
            type="button"
            className="chip"
            onClick={() => {
              setUsername(user.username)
              setPassword(user.password)
            }}
          >
            <strong>{user.username}</strong> / {user.password}
          </button>
        ))}
      </div>
    </section>
  )
}
