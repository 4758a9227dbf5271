import { describe, expect, it } from 'vitest'
import { authenticate } from './users'

describe('authenticate', () => {
  it('accepts the demo users', () => {
    expect(authenticate('alice', 'wonderland')).toBe('alice')
    expect(authenticate('bob', 'builder')).toBe('bob')
  })

  it.each([
    ['alice', 'builder'],
    ['bob', 'wonderland'],
    ['carol', 'wonderland'],
    ['alice', ''],
    ['', ''],
    ['ALICE', 'wonderland'],
  ])('rejects %s / %s', (username, password) => {
    expect(authenticate(username, password)).toBeNull()
  })
})
