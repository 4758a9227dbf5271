/**
 * Signing-key administration of a manager (`rotateKeys`, `revokeKey`, `revokeCurrentKey`,
 * `jwks`): each waits for the start, and every store failure is a 503 `LatchError`.
 * @module
 */
import { type KeyRevocationResult, KeyRingMisuse } from '../keys/keyRing.js'
import { type ManagerCore, withStore } from '../ManagerCore.js'

/** Adds a signing key now; it signs after the activation delay. */
export async function rotateKeys(core: ManagerCore): Promise<void> {
  await withStore(core.started)
  await withStore(() => core.keys.rotate())
}

/** Revokes the key `kid` for good (see `SessionManager.revokeKey`). */
export async function revokeKey(core: ManagerCore, kid: string): Promise<KeyRevocationResult> {
  if (typeof kid !== 'string') throw new TypeError('`kid` must be a string.')
  await withStore(core.started)
  // Misuse (the last explicit key) is the caller's TypeError, not a 503.
  const result = await withStore(() =>
    core.keys.revoke(kid).catch((error) => (error instanceof KeyRingMisuse ? error : Promise.reject(error))),
  )
  if (result instanceof KeyRingMisuse) throw result
  if (result.revokedKid !== null) core.accessTokens.clearCache()
  return result
}

/** Replaces the current signing key and revokes it (see `SessionManager.revokeCurrentKey`). */
export async function revokeCurrentKey(
  core: ManagerCore,
): Promise<{ revokedKid: string; currentKid: string }> {
  if (core.options.keys)
    throw new TypeError(
      'revokeCurrentKey() is not available with explicit `keys`: add the replacement to the `keys` option on every instance, then call revokeKey(oldKid).',
    )
  await withStore(core.started)
  await withStore(() => core.keys.ensureFresh())
  const current = core.keys.signer().kid
  // `already_revoked` means another instance revoked it a moment ago: its replacement signs now.
  const result = await withStore(() => core.keys.revoke(current))
  core.accessTokens.clearCache()
  return { revokedKid: current, currentKid: result.currentKid }
}

/** The public JWKS, once the keys are loaded. */
export async function jwks(core: ManagerCore): Promise<{ keys: Record<string, unknown>[] }> {
  await withStore(core.started)
  return core.keys.jwks() as { keys: Record<string, unknown>[] }
}
