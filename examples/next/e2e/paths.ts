/** Where the Next.js e2e tests find the example and what its build is made from. */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const exampleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** `next`'s own CLI entry, run with this Node (no shell, no .bin shim). */
export const nextBin = resolve(exampleDir, 'node_modules', 'next', 'dist', 'bin', 'next')
export const buildStamp = resolve(exampleDir, '.next', '.e2e-build-stamp')
