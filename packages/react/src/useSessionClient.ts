import type { SessionClient } from '@latch/client'
import { useSessionContext } from './useSession'

/**
 * The provider's session client, for `client.fetch` in components and for subscribing to events
 * (`client.on('refreshed', …)`). Reading it does not subscribe to state: the component does not
 * re-render when the session changes (use {@link useSession} for that).
 *
 * Throws when used outside {@link SessionProvider}.
 *
 * @example
 * const latch = useSessionClient()
 * const notes = await (await latch.fetch('/api/notes')).json()
 */
export function useSessionClient(): SessionClient {
  return useSessionContext('useSessionClient').client
}
