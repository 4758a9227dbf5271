import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  // No Node types (browser code), and `@latch/client` mapped to its source so this package builds
  // without the client being built first; it stays external, so the output imports it by name.
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['react', 'react-dom', '@latch/client'],
  // esbuild drops module-level directives when it bundles, so the directive goes back in as a
  // banner: Next.js needs it to treat the provider and hooks as client components.
  banner: { js: "'use client'" },
})
