import { defineConfig } from 'tsup'

// The server is bundled into one ESM file; its dependencies (express, better-sqlite3, the
// workspace packages) stay external and resolve from node_modules at run time.
export default defineConfig({
  entry: { main: 'server/main.ts' },
  outDir: 'dist/server',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  dts: false,
})
