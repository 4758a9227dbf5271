import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import {
  MAX_NOTE_LENGTH,
  MAX_NOTES_PER_USER,
  memoryNotes,
  type NotesStore,
  parseNoteText,
  sqliteNotes,
} from './notes'

describe('parseNoteText', () => {
  it('trims and accepts 1 to MAX_NOTE_LENGTH characters', () => {
    expect(parseNoteText('  buy milk ')).toBe('buy milk')
    expect(parseNoteText('x'.repeat(MAX_NOTE_LENGTH))).toHaveLength(MAX_NOTE_LENGTH)
  })

  it.each([
    [''],
    ['   '],
    ['x'.repeat(MAX_NOTE_LENGTH + 1)],
    [42],
    [null],
    [undefined],
    [['a']],
    [{ text: 'a' }],
  ])('rejects %j', (value) => {
    expect(parseNoteText(value)).toBeNull()
  })
})

describe.each([
  ['memory', () => memoryNotes()],
  ['sqlite', () => sqliteNotes(new Database(':memory:'))],
])('%s notes store', (_name, open: () => NotesStore) => {
  it('keeps each user’s notes apart, newest first', async () => {
    const notes = open()
    const first = await notes.add('alice', 'one')
    const second = await notes.add('alice', 'two')
    await notes.add('bob', 'other')
    expect((await notes.list('alice')).map((note) => note.id)).toEqual([second.id, first.id])
    expect((await notes.list('bob')).map((note) => note.text)).toEqual(['other'])
    expect(await notes.list('carol')).toEqual([])
    notes.close()
  })

  it(`keeps at most ${MAX_NOTES_PER_USER} notes per user`, async () => {
    const notes = open()
    for (let i = 0; i <= MAX_NOTES_PER_USER; i++) await notes.add('alice', `note ${i}`)
    const list = await notes.list('alice')
    expect(list).toHaveLength(MAX_NOTES_PER_USER)
    expect(list[0]!.text).toBe(`note ${MAX_NOTES_PER_USER}`)
    expect(list.some((note) => note.text === 'note 0')).toBe(false)
    notes.close()
  })
})
