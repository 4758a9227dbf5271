/**
 * `@latch/server/testing`: the store conformance suite, for anyone writing a {@link SessionStore}
 * of their own (DynamoDB, MongoDB, …). It is the suite every built-in store passes: atomic
 * rotation under races, revocation push between instances, keys by compare-and-swap, secrets,
 * sweeping, close. Runs under Vitest (a peer dependency of this entry, with fast-check).
 *
 * @example
 * // myStore.test.ts
 * import { describeStoreConformance } from '@latch/server/testing'
 * import { myStore } from './myStore.js'
 *
 * describeStoreConformance('my store', () => {
 *   const prefix = `test-${crypto.randomUUID()}:` // a fresh namespace per test
 *   return {
 *     open: async () => myStore({ prefix }),    // called again for "another server instance"
 *     cleanup: async () => dropEverything(prefix),
 *   }
 * })
 *
 * @module
 */
export {
  type ConformanceCapabilities,
  type ConformanceNamespace,
  describeStoreConformance,
  makeId,
  makeKey,
  makeRecord,
} from './stores/conformance.js'
export type { SessionStore } from './stores/SessionStore.js'
