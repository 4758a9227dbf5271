/** Where the e2e tests find the demo and what it was built from. */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const demoDir = resolve(repoRoot, 'demo')
export const demoServerEntry = resolve(demoDir, 'dist', 'server', 'main.js')
export const demoSpaIndex = resolve(demoDir, 'dist', 'public', 'index.html')
