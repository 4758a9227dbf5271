/**
 * Opens the session store `LATCH_STORE` names, and the notes store next to it. Store modules
 * are imported lazily: a demo run on SQLite never loads the Redis or Postgres drivers.
 * @module
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { memoryStore, type SessionStore } from '@latch/server'
import type { DemoConfig } from './config'
import { memoryNotes, type NotesStore, sqliteNotes } from './notes'

export interface OpenedStores {
  sessions: SessionStore
  notes: NotesStore
  /** Human description for the start-up line, e.g. `sqlite (demo/.data/latch-demo.db)`. */
  description: string
  close(): Promise<void>
}

export async function openStores(config: DemoConfig): Promise<OpenedStores> {
  switch (config.store) {
    case 'memory': {
      const sessions = memoryStore()
      return { sessions, notes: memoryNotes(), description: 'memory', close: () => sessions.close() }
    }
    case 'sqlite': {
      mkdirSync(dirname(config.sqlitePath), { recursive: true })
      const [{ default: Database }, { sqliteStore }] = await Promise.all([
        import('better-sqlite3'),
        import('@latch/server/sqlite'),
      ])
      // One connection for both: the sessions tables and the notes table live in one file.
      const db = new Database(config.sqlitePath)
      const notes = sqliteNotes(db)
      const sessions = sqliteStore({ database: db })
      return {
        sessions,
        notes,
        description: `sqlite (${config.sqlitePath})`,
        // The store never closes a database it was given: closing the notes closes the file.
        close: async () => {
          await sessions.close()
          notes.close()
        },
      }
    }
    case 'redis': {
      const { redisStore } = await import('@latch/server/redis')
      const sessions = redisStore({ url: config.redisUrl! })
      return { sessions, notes: memoryNotes(), description: 'redis', close: () => sessions.close() }
    }
    case 'postgres': {
      const { postgresStore } = await import('@latch/server/postgres')
      const sessions = postgresStore({ connectionString: config.databaseUrl! })
      return { sessions, notes: memoryNotes(), description: 'postgres', close: () => sessions.close() }
    }
  }
}
