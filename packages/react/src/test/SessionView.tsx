import { useSession } from '../useSession'

/** A consumer that shows the session and exposes the actions as buttons; counts its renders. */
export function SessionView({ onRender }: { onRender?: () => void }) {
  const state = useSession()
  onRender?.()
  return (
    <div>
      <p data-testid="status">{state.status}</p>
      {state.status === 'unauthenticated' && state.reason && <p data-testid="reason">{state.reason}</p>}
      {state.status === 'authenticated' && (
        <p data-testid="user">
          {state.session.userId} gen {state.session.generation}
        </p>
      )}
      <button type="button" onClick={() => void state.signOut()}>
        Sign out
      </button>
      <button type="button" onClick={() => void state.refresh()}>
        Refresh
      </button>
    </div>
  )
}
