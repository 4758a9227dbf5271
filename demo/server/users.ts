/**
 * The demo's user directory: two fixed users. A real application checks a password hash in
 * its database; the comparison here is constant-time all the same, so the demo does not teach
 * a timing leak.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'

const USERS: ReadonlyMap<string, string> = new Map([
  ['alice', 'wonderland'],
  ['bob', 'builder'],
])

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/** The user id when `username` / `password` match a demo user, otherwise `null`. */
export function authenticate(username: string, password: string): string | null {
  const expected = USERS.get(username)
  // Compare against a dummy when the user is unknown so both paths cost the same.
  const ok = timingSafeEqual(digest(expected ?? '\0unknown'), digest(password))
  return expected !== undefined && ok ? username : null
}
