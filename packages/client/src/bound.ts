/**
 * `@latch/client/bound`: bound refresh (DESIGN "Bound refresh"). Sessions signed in through
 * `signIn(fn)` are bound to a non-extractable key kept in IndexedDB, and every refresh and
 * sign-out proves it, so a copied cookie jar or a token read from storage cannot refresh
 * anywhere else. Opt-in, so the minimal `createSessionClient` import stays small.
 * @module
 */
export {
  type BoundSessionClientOptions,
  createBoundSessionClient,
  KEY_LOST,
  PROOF_HEADER,
} from './bound/createBoundSessionClient'
export { type IndexedDbProofSignerOptions, indexedDbProofSigner } from './bound/indexedDbProofSigner'
export type { ProofSigner } from './bound/ProofSigner'
export { type PublicJwk, signProof } from './bound/proof'
