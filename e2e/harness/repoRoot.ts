/** The repository's root folder, found from this file's place in it. */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo's root (this file is `e2e/harness/repoRoot.ts`). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
