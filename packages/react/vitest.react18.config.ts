import { fileURLToPath } from 'node:url'
import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config'

// The same tests against React 18.3 and the Testing Library resolved with it. They come from the
// workspace package in ./react18, where pnpm resolves react-dom 18's `react` peer to React 18
// (aliases alone would leave react-dom 18 loading React 19 from here).
const react18 = (name: string) => fileURLToPath(new URL(`./react18/node_modules/${name}`, import.meta.url))

export default mergeConfig(
  base,
  defineConfig({
    resolve: {
      alias: [
        { find: /^react$/, replacement: react18('react') },
        { find: /^react\/(.*)$/, replacement: `${react18('react')}/$1` },
        { find: /^react-dom$/, replacement: react18('react-dom') },
        { find: /^react-dom\/(.*)$/, replacement: `${react18('react-dom')}/$1` },
        { find: /^@testing-library\/react$/, replacement: react18('@testing-library/react') },
      ],
    },
    test: {
      name: 'react18',
      env: { LATCH_EXPECT_REACT: '18' },
      // The type tests check the published types once, in the `react` project.
      typecheck: { enabled: false },
    },
  }),
)
