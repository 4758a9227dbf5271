import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The SPA is built into dist/public, which the demo's express server serves next to the API.
// `vite dev` proxies the API to a running `pnpm --filter ./demo start` so cookies stay same-origin.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist/public', emptyOutDir: true },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/auth': 'http://localhost:3000',
    },
  },
})
