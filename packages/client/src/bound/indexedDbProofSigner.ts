/**
 * The default proof signer: one non-extractable ECDSA P-256 key per origin and browser profile,
 * kept in IndexedDB (a `CryptoKey` is stored as is, by structured clone, and stays
 * non-extractable), shared by every tab. Script on the page can use the key while it runs but can
 * never read it out, so a copied cookie jar or token cannot be used elsewhere.
 * @module
 */

import type { ProofSigner } from './ProofSigner'
import { type PublicJwk, signProof } from './proof'

/** Options of {@link indexedDbProofSigner}. */
export interface IndexedDbProofSignerOptions {
  /** IndexedDB database name. Defaults to `'latch-bound'`. */
  databaseName?: string
  /** Record name of the key, so two apps on one origin can keep two keys. Defaults to `'key'`. */
  keyName?: string
}

/** What is stored: the private key (non-extractable) and its public JWK. */
interface StoredKey {
  privateKey: CryptoKey
  jwk: PublicJwk
}

const STORE = 'keys'

/** IndexedDB, or `undefined` where there is none (SSR, Node, some private modes). */
const indexedDb = (): IDBFactory | undefined => (globalThis as { indexedDB?: IDBFactory }).indexedDB

const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })

function open(name: string): Promise<IDBDatabase> {
  const request = indexedDb()!.open(name, 1)
  request.onupgradeneeded = () => request.result.createObjectStore(STORE)
  return done(request)
}

/**
 * The stored key, or with `candidate` the stored key if there is one, else `candidate` stored now:
 * read and write in one readwrite transaction, which IndexedDB runs alone, so tabs creating a key
 * at the same moment all end up with the first one stored.
 */
async function readOrAdd(
  db: IDBDatabase,
  keyName: string,
  candidate?: StoredKey,
): Promise<StoredKey | undefined> {
  const transaction = db.transaction(STORE, candidate ? 'readwrite' : 'readonly')
  const store = transaction.objectStore(STORE)
  const existing = (await done(store.get(keyName))) as StoredKey | undefined
  if (existing?.privateKey && existing.jwk) return existing
  if (!candidate) return undefined
  store.put(candidate, keyName)
  await new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = transaction.onabort = () => reject(transaction.error)
  })
  return candidate
}

async function newKey(): Promise<StoredKey> {
  // `extractable: false` applies to the private key; the public half is always exportable.
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
  return { privateKey: pair.privateKey, jwk: { kty, crv, x, y } as PublicJwk }
}

/**
 * Creates the default signer (see the module description). Where IndexedDB or WebCrypto is
 * missing, or storing fails, it signs nothing (`null`), and the client works unbound.
 *
 * @example
 * const latch = createBoundSessionClient({ signer: indexedDbProofSigner({ keyName: 'app-1' }) })
 */
export function indexedDbProofSigner(options: IndexedDbProofSignerOptions = {}): ProofSigner {
  const databaseName = options.databaseName ?? 'latch-bound'
  const keyName = options.keyName ?? 'key'
  let database: Promise<IDBDatabase> | null = null
  const attempt = async (method: string, url: string, now: number, create: boolean) => {
    database ??= open(databaseName).then(
      (db) => {
        // Site data cleared, or a newer version elsewhere: this connection is over.
        db.onclose = db.onversionchange = () => {
          database = null
          db.close()
        }
        return db
      },
      (error) => {
        database = null
        throw error
      },
    )
    const db = await database
    // Read every time: another tab may have made the key, or the user cleared site data.
    let key = await readOrAdd(db, keyName)
    if (!key && create) key = await readOrAdd(db, keyName, await newKey())
    return key ? signProof(key.privateKey, key.jwk, method, url, now) : null
  }
  return {
    async sign(method, url, { now, create }) {
      if (!indexedDb() || !globalThis.crypto?.subtle) return null
      // A connection closed under us (site data cleared while open) fails once: retry on a new one.
      for (let tries = 0; tries < 2; tries++) {
        try {
          return await attempt(method, url, now, create)
        } catch {
          database = null
        }
      }
      return null
    },
  }
}
