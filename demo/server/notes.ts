/**
 * Per-user notes: the demo's one protected write. Kept in the demo's SQLite file with the
 * sqlite store (so they survive a restart like the sessions do), in memory otherwise.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'

export interface Note {
  id: string
  text: string
  createdAt: number
}

export interface NotesStore {
  list(userId: string): Promise<Note[]>
  add(userId: string, text: string): Promise<Note>
  close(): void
}

/** Longest note accepted, in characters. */
export const MAX_NOTE_LENGTH = 500
/** Most notes kept per user: a demo should not be a free disk for anyone who can sign in. */
export const MAX_NOTES_PER_USER = 200

/** Trimmed text when `value` is an acceptable note, otherwise `null`. */
export function parseNoteText(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const text = value.trim()
  return text.length > 0 && text.length <= MAX_NOTE_LENGTH ? text : null
}

export function memoryNotes(now: () => number = Date.now): NotesStore {
  const byUser = new Map<string, Note[]>()
  return {
    async list(userId) {
      return [...(byUser.get(userId) ?? [])]
    },
    async add(userId, text) {
      const note = { id: randomUUID(), text, createdAt: now() }
      byUser.set(userId, [note, ...(byUser.get(userId) ?? [])].slice(0, MAX_NOTES_PER_USER))
      return note
    },
    close() {},
  }
}

export function sqliteNotes(db: Database.Database, now: () => number = Date.now): NotesStore {
  db.pragma('busy_timeout = 5000')
  db.exec(`CREATE TABLE IF NOT EXISTS demo_notes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS demo_notes_user ON demo_notes (user_id, created_at DESC);`)
  const select = db.prepare<[string], { id: string; text: string; createdAt: number }>(
    'SELECT id, text, created_at AS createdAt FROM demo_notes WHERE user_id = ? ORDER BY created_at DESC, rowid DESC',
  )
  const insert = db.prepare('INSERT INTO demo_notes (id, user_id, text, created_at) VALUES (?, ?, ?, ?)')
  const trim = db.prepare(
    `DELETE FROM demo_notes WHERE user_id = ? AND id NOT IN (
      SELECT id FROM demo_notes WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ${MAX_NOTES_PER_USER}
    )`,
  )
  const addTx = db.transaction((userId: string, note: Note) => {
    insert.run(note.id, userId, note.text, note.createdAt)
    trim.run(userId, userId)
  })
  return {
    async list(userId) {
      return select.all(userId)
    },
    async add(userId, text) {
      const note = { id: randomUUID(), text, createdAt: now() }
      addTx(userId, note)
      return note
    },
    close() {
      db.close()
    },
  }
}
