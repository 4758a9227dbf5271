import { RequireSession } from '@latch/react'
import { ActivityPanel } from './components/ActivityPanel'
import { Dashboard } from './components/Dashboard'
import { Header } from './components/Header'
import { SignInCard } from './components/SignInCard'

/** The page: the dashboard or the sign-in card, with the live activity log beside either. */
export function App() {
  return (
    <div className="app">
      <Header />
      <main className="layout">
        <div className="main-column">
          <RequireSession
            fallback={<SignInCard />}
            loading={<div className="card skeleton" aria-busy="true" />}
          >
            <Dashboard />
          </RequireSession>
        </div>
        <aside className="side-column">
          <ActivityPanel />
        </aside>
      </main>
      <footer className="footer">
        Short-lived JWT access tokens, rotating refresh tokens with theft detection, one refresh across all
        tabs. Open this page in a second tab and watch the activity log.
      </footer>
    </div>
  )
}
