import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/ky.ts', 'src/bound.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // ky is an optional peer: users of `@latch/client/ky` bring their own copy.
  external: ['ky'],
})
