// Min+gzip size of an import, the way a user's bundler would ship it: esbuild bundle + minify
// for the browser, tree-shaken, then gzip level 9.
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const benchDir = fileURLToPath(new URL('..', import.meta.url))

/** Bundles `source` (an ES module importing workspace packages) and measures it. */
export async function bundleSize(source, { external = [], breakdown = false } = {}) {
  const result = await build({
    stdin: { contents: source, resolveDir: benchDir, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    treeShaking: true,
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const code = result.outputFiles[0].contents
  const output = Object.values(result.metafile.outputs)[0]
  const modules = Object.entries(output.inputs)
    .filter(([file]) => !file.startsWith('<stdin>') && file !== 'entry.js')
    .map(([file, info]) => ({ file: file.replace(/^.*?packages\//, 'packages/'), bytes: info.bytesInOutput }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  return {
    minified: code.byteLength,
    gzip: gzipSync(code, { level: 9 }).byteLength,
    ...(breakdown ? { modules } : {}),
  }
}
