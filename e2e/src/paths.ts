/** Where the e2e tests find the demo and what it was built from. */
import { resolve } from 'node:path'
import { repoRoot } from '../harness'

export const demoDir = resolve(repoRoot, 'demo')
export const demoServerEntry = resolve(demoDir, 'dist', 'server', 'main.js')
export const demoSpaIndex = resolve(demoDir, 'dist', 'public', 'index.html')
