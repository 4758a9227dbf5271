/**
 * Size budget: what a user's bundler ships for the minimal import, minified and gzipped. Uses the
 * esbuild that tsup brings (size-limit 14 needs Node 22; the repo runs on Node 20).
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

// The issue asks for 5 kB; the lifecycle work of issue 21 (lock fallback, commit guard, server
// time, bfcache, offline, reasons) may take it to 5.5 kB, itemised in README "Size".
const TARGET_BYTES = 5 * 1000
const BUDGET_BYTES = 5500

async function gzippedSize(contents: string): Promise<number> {
  const require = createRequire(import.meta.url)
  const esbuild = createRequire(require.resolve('tsup'))('esbuild') as typeof import('esbuild')
  const result = await esbuild.build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    external: ['ky'],
  })
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length
}

describe('size budget', () => {
  it('keeps the minimal createSessionClient import within the budget (min+gzip)', async () => {
    const size = await gzippedSize("export { createSessionClient } from './index'")
    console.info(
      `createSessionClient: ${size} B min+gzip (budget ${BUDGET_BYTES} B, target ${TARGET_BYTES} B)`,
    )
    expect(size).toBeLessThanOrEqual(BUDGET_BYTES)
  })

  it('reports the full entry and the ky entry', async () => {
    const full = await gzippedSize("export * from './index'")
    const ky = await gzippedSize("export * from './ky'")
    console.info(`@latch/client (everything): ${full} B; @latch/client/ky: ${ky} B min+gzip`)
    expect(full).toBeLessThanOrEqual(BUDGET_BYTES + 1024)
  })
})
