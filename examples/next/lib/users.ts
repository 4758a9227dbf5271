/**
 * The example's user directory: the demo's two users. A real application checks a password hash
 * in its database; the comparison is constant-time all the same.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'

interface User {
  password: string
  /** Shown on the page; travels as the `name` claim of the access token. */
  name: string
}

const USERS: ReadonlyMap<string, User> = new Map([
  ['alice', { password: 'wonderland', name: 'Alice Liddell' }],
  ['bob', { password: 'builder', name: 'Bob the Builder' }],
])

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/** The user when `username` / `password` match, otherwise `null`. */
export function authenticate(username: unknown, password: unknown): { id: string; name: string } | null {
  if (typeof username !== 'string' || typeof password !== 'string') return null
  const user = USERS.get(username)
  // Compare against a dummy when the user is unknown so both paths cost the same.
  const ok = timingSafeEqual(digest(user?.password ?? '\0unknown'), digest(password))
  return user !== undefined && ok ? { id: username, name: user.name } : null
}
