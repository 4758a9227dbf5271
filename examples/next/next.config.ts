import { fileURLToPath } from 'node:url'
import type { NextConfig } from 'next'

// The workspace root: @latch/* are symlinked from ../../packages, outside this app's folder.
const workspaceRoot = fileURLToPath(new URL('../..', import.meta.url))

const config: NextConfig = {
  // A native addon: loaded by Node at run time, never bundled.
  serverExternalPackages: ['better-sqlite3'],
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // The repository's `pnpm typecheck` checks this app (tsc -p examples/next); checking again inside
  // `next build` would only add time to every build.
  typescript: { ignoreBuildErrors: true },
  // The build cache speeds up rebuilds on a developer's machine; a CI run starts from a fresh clone
  // and would only pay for writing it (about 20 s on the 2-core machine).
  experimental: { turbopackFileSystemCacheForBuild: process.env.CI !== 'true' },
}

export default config
