import { AdminPanel } from './AdminPanel'
import { DevicesPanel } from './DevicesPanel'
import { NotesPanel } from './NotesPanel'
import { ProfilePanel } from './ProfilePanel'
import { SessionCard } from './SessionCard'

/** What a signed-in user sees. */
export function Dashboard() {
  return (
    <>
      <SessionCard />
      <ProfilePanel />
      <NotesPanel />
      <DevicesPanel />
      <AdminPanel />
    </>
  )
}
