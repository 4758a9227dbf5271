import { type FormEvent, useEffect, useState } from 'react'
import { ApiError, addNote, listNotes, type Note } from '../api'
import { formatAgo } from '../format'
import { useNow } from '../useNow'

const MAX_LENGTH = 500

/** A real protected write: notes are stored per user, through `latch.fetch`. */
export function NotesPanel() {
  const [notes, setNotes] = useState<Note[] | null>(null)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const now = useNow(30_000)

  useEffect(() => {
    let cancelled = false
    listNotes().then(
      (list) => !cancelled && setNotes(list),
      () => !cancelled && setError('Could not load your notes.'),
    )
    return () => {
      cancelled = true
    }
  }, [])

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const note = await addNote(text.trim())
      setNotes((list) => [note, ...(list ?? [])])
      setText('')
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 400
          ? 'A note needs some text.'
          : 'Could not save the note.',
      )
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="notes-title">
      <div className="card-head">
        <h2 id="notes-title">Notes</h2>
        <span className="muted small">{notes ? `${notes.length} saved` : ''}</span>
      </div>
      <form className="inline-form" onSubmit={submit}>
        <input
          name="note"
          placeholder="Write a note…"
          aria-label="New note"
          maxLength={MAX_LENGTH}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || text.trim() === ''}>
          Add
        </button>
      </form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {notes && notes.length === 0 ? (
        <p className="empty">No notes yet. They are saved on the server.</p>
      ) : null}
      <ul className="notes" data-testid="notes">
        {notes?.map((note) => (
          <li key={note.id}>
            <span className="note-text">{note.text}</span>
            <span className="muted small">{formatAgo(note.createdAt, now)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
