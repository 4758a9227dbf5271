import { DevicesPanel } from './DevicesPanel'
import { NotesPanel } from './NotesPanel'
import { SessionCard } from './SessionCard'

/** What a signed-in user sees. */
export function Dashboard() {
  return (
    <>
      <SessionCard />
      <NotesPanel />
      <DevicesPanel />
    </>
  )
}
