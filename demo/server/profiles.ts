/**
 * Display names of the demo users: what the `name` claim of their sessions carries. Kept in
 * memory (a real application has a users table); a restart brings back the defaults.
 * @module
 */

/** The longest display name, in characters (code points). */
export const MAX_DISPLAY_NAME = 60

export interface ProfileStore {
  /** The user's display name; defaults to the user id with a capital first letter. */
  displayName(userId: string): string
  setDisplayName(userId: string, name: string): void
}

export function memoryProfiles(): ProfileStore {
  const names = new Map<string, string>()
  return {
    displayName: (userId) => names.get(userId) ?? userId.charAt(0).toUpperCase() + userId.slice(1),
    setDisplayName: (userId, name) => {
      names.set(userId, name)
    },
  }
}

/**
 * The display name from user input: trimmed, 1–60 characters, no control characters; `null`
 * when it is none of that.
 */
export function parseDisplayName(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 4 * MAX_DISPLAY_NAME) return null
  const name = value.trim()
  const length = [...name].length
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (length < 1 || length > MAX_DISPLAY_NAME || /[\u0000-\u001f\u007f-\u009f]/.test(name)) return null
  return name
}
