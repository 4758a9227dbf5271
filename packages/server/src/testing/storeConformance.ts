/**
 * The store conformance suite: every store runs the same tests (`describeStoreConformance` from
 * its own `*.test.ts`, or a custom store's through `@latch/server/testing`). Imports vitest, so only
 * the testing entry exports it.
 *
 * @module
 */
import { afterEach, describe } from 'vitest'
import type { SessionStore } from '../stores/SessionStore.js'
import { bindingConformanceTests } from './storeConformanceBinding.js'
import { claimsConformanceTests } from './storeConformanceClaims.js'
import type { ConformanceCapabilities } from './storeConformanceFixtures.js'
import { sessionConformanceTests } from './storeConformanceSessions.js'
import { sharedConformanceTests } from './storeConformanceShared.js'

export type { ConformanceCapabilities } from './storeConformanceFixtures.js'
export { makeId, makeKey, makeRecord } from './storeConformanceFixtures.js'

/** A fresh, empty namespace (key prefix, schema, file) in which instances of one store can be opened. */
export interface ConformanceNamespace {
  /** Opens an instance over this namespace; a second call is "another server" (another connection). */
  open(): Promise<SessionStore>
  /** Drops the namespace after the test (instances are closed by the suite first). */
  cleanup?(): Promise<void>
}

/** Registers the conformance tests for one store. `makeNamespace` is called once per test. */
export function describeStoreConformance(
  name: string,
  makeNamespace: () => Promise<ConformanceNamespace> | ConformanceNamespace,
  capabilities: ConformanceCapabilities = {},
): void {
  describe(`${name} store conformance`, () => {
    const opened: SessionStore[] = []
    const namespaces: ConformanceNamespace[] = []

    async function setup(): Promise<{ store: SessionStore; peer: () => Promise<SessionStore> }> {
      const ns = await makeNamespace()
      namespaces.push(ns)
      const open = async () => {
        const s = await ns.open()
        opened.push(s)
        return s
      }
      return { store: await open(), peer: open }
    }

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close()
      for (const ns of namespaces.splice(0)) await ns.cleanup?.()
    })

    sessionConformanceTests({ setup, capabilities })
    sharedConformanceTests({ setup, capabilities })
    claimsConformanceTests({ setup, capabilities })
    bindingConformanceTests({ setup, capabilities })
  })
}
