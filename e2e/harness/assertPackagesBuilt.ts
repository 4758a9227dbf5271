/**
 * The built @latch packages the apps under test import: their `dist` folders are sources of every
 * app build, and a run without them fails early, saying what to do.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { repoRoot } from './repoRoot'

const PACKAGES = ['client', 'react', 'server']
const distOf = (name: string) => resolve(repoRoot, 'packages', name, 'dist')

/** `packages/{client,react,server}/dist`: the apps under test are built from these. */
export const packageDists: readonly string[] = PACKAGES.map(distOf)

/**
 * Throws when a package has not been built: the test runner does not build them (the root
 * `pnpm test` does, before it starts). `tests` names the suite in the message.
 */
export function assertPackagesBuilt(tests: string): void {
  for (const name of PACKAGES) {
    if (!existsSync(distOf(name))) {
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before ${tests}.`)
    }
  }
}
