/**
 * A server component: who is signed in comes from the verified access token, so the first HTML
 * already shows it. With an expired token it shows no user; the browser refreshes once and the
 * provider re-renders this part.
 */
import { Account } from '../components/Account'
import { SignInForm } from '../components/SignInForm'
import { getSession } from '../lib/getSession'

export default async function Home() {
  const result = await getSession()
  return (
    <main>
      <h1>Latch + Next.js</h1>
      {result.status === 'authenticated' && (
        <p data-testid="server-user">
          Signed in as <strong>{String(result.session.claims.name ?? result.session.userId)}</strong>{' '}
          (rendered on the server from the access token)
        </p>
      )}
      {result.status === 'refresh' && <p data-testid="server-user">Checking your session…</p>}
      {result.status === 'unauthenticated' ? <SignInForm /> : <Account />}
    </main>
  )
}
