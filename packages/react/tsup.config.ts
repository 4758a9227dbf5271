import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // Built against the client's published types (no `paths` to its source), so the client must
  // be built first; `pnpm build` runs the packages in dependency order.
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['react', 'react-dom', '@latch/client'],
  // esbuild drops module-level directives when it bundles, so the directive goes back in as a
  // banner: Next.js needs it to treat the provider and hooks as client components.
  banner: { js: "'use client'" },
})
