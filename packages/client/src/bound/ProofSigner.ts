/**
 * The proof signer: what `createBoundSessionClient` asks for a key proof. The default keeps a
 * non-extractable WebCrypto key in IndexedDB (`indexedDbProofSigner`); a native app passes its
 * own, backed by a platform key (Secure Enclave, Android Keystore).
 * @module
 */

/** Makes key proofs (see the module description). */
export interface ProofSigner {
  /**
   * A proof for `method url` dated `now` (server time, ms): a compact JWS with `typ: dpop+jwt`,
   * `alg: ES256`, the public `jwk` in its header, and `htm`, `htu`, `iat` (seconds), `jti` claims.
   * When there is no key: with `create`, make one (a sign-in); without, resolve `null` (the key
   * is lost: a bound session cannot refresh). Also `null` where no key can be made or kept (no
   * WebCrypto or IndexedDB, SSR): the client then works unbound. Never rejects for that.
   */
  sign(method: string, url: string, options: { now: number; create: boolean }): Promise<string | null>
}
