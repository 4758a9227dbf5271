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
 * `describeAdapterConformance` is the same for a binding to a web framework: the wire contract
 * over real HTTP, as the express, Fastify and Hono adapters and the bare Web handler pass it.
 *
 * @module
 */

export type { SessionStore } from './stores/SessionStore.js'
export {
  type AdapterApp,
  type AdapterAppInput,
  describeAdapterConformance,
  type StartAdapterApp,
} from './testing/adapterConformance.js'
export {
  type ConformanceCapabilities,
  type ConformanceNamespace,
  describeStoreConformance,
  makeId,
  makeKey,
  makeRecord,
} from './testing/storeConformance.js'
