/**
 * How the Redis store encodes what it keeps: a session as a hash of JSON values (field order,
 * defaults for fields older sessions lack) and revocations, stale marks and keys as JSON strings,
 * with the checks that turn a value that does not parse into `corrupt_record`.
 * @module
 */
import { isKeyRevocation, isRevocation, isStaleMark, markVersion } from '../RevocationHub.js'
import type { KeyRevocation, Revocation, SessionRecord, StaleMark, StoredKey } from '../SessionStore.js'
import { StoreError } from '../StoreError.js'

/** A session's hash fields, in the order `decodeSessionValues` reads them. */
export const SESSION_FIELDS = [
  'id',
  'userId',
  'createdAt',
  'lastRefreshedAt',
  'expiresAt',
  'absoluteExpiresAt',
  'generation',
  'currentHash',
  'previousHash',
  'rotatedAt',
  'successorSealed',
  'claims',
  'userAgent',
  'ip',
  // Last: a session written before claims versions has none, and reads as version 0.
  'claimsVersion',
] as const satisfies readonly (keyof SessionRecord)[]

/** Fields a session stored by an earlier release may lack, with the JSON they read as. */
export const FIELD_DEFAULTS: Partial<Record<(typeof SESSION_FIELDS)[number], string>> = { claimsVersion: '0' }

/**
 * Fields a session may lack because they came after it was written: absent reads as `null`.
 * `binding` (bound refresh) is the first.
 */
export const OPTIONAL_SESSION_FIELDS = ['binding'] as const satisfies readonly (keyof SessionRecord)[]

/** Every field read for a session, in the order `decodeSessionValues` reads them. */
export const SESSION_READ_FIELDS = [...SESSION_FIELDS, ...OPTIONAL_SESSION_FIELDS] as const

/**
 * Hash field/value pairs for the given fields of a session. Each value is JSON, so `null`, numbers
 * and strings round-trip exactly (Lua's cjson would round epoch milliseconds).
 */
export function encodeFields(record: Partial<SessionRecord>): string[] {
  const out: string[] = []
  for (const [field, value] of Object.entries(record))
    if (value !== undefined) out.push(field, JSON.stringify(value))
  return out
}

/**
 * A session from its values in {@link SESSION_READ_FIELDS} order (`HMGET`); `null` when the first
 * (the id) is missing: no such key. The optional fields may be missing or absent (`null`).
 */
export function decodeSessionValues(values: readonly (string | null)[]): SessionRecord | null {
  if (values[0] === null || values[0] === undefined) return null
  const record: Record<string, unknown> = {}
  try {
    for (let i = 0; i < SESSION_FIELDS.length; i++) {
      const field = SESSION_FIELDS[i]!
      const raw = values[i] ?? FIELD_DEFAULTS[field]
      if (raw === null || raw === undefined) throw new Error(`missing field ${SESSION_FIELDS[i]}`)
      record[SESSION_FIELDS[i]!] = JSON.parse(raw)
    }
    for (let i = 0; i < OPTIONAL_SESSION_FIELDS.length; i++) {
      const raw = values[SESSION_FIELDS.length + i]
      record[OPTIONAL_SESSION_FIELDS[i]!] = raw === null || raw === undefined ? null : JSON.parse(raw)
    }
  } catch (cause) {
    throw new StoreError('corrupt_record', 'A stored session could not be read.', { cause })
  }
  return record as unknown as SessionRecord
}

function parseJson<T>(raw: string, what: string, check: (v: any) => boolean): T {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (cause) {
    throw new StoreError('corrupt_record', `A stored ${what} could not be read.`, { cause })
  }
  if (!check(value)) throw new StoreError('corrupt_record', `A stored ${what} has the wrong shape.`)
  return value as T
}

export function decodeRevocation(raw: string): Revocation {
  return parseJson(raw, 'revocation', isRevocation)
}

export function decodeKey(raw: string): StoredKey {
  return parseJson(raw, 'key', (v) => typeof v?.kid === 'string' && typeof v.privateJwk === 'string')
}

/** A stored mark; one written before claims versions has none and reads as version 0 (judged by time). */
export function decodeStaleMark(raw: string): StaleMark {
  const mark = parseJson<StaleMark>(raw, 'stale mark', isStaleMark)
  return { ...mark, version: markVersion(mark.version) }
}

export function decodeKeyRevocation(raw: string): KeyRevocation {
  return parseJson(raw, 'key revocation', isKeyRevocation)
}
