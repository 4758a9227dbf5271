#!/usr/bin/env node
// Fails when a package's source imports "back up": the top-level parts of `src/` (each folder,
// and each file at the root of `src/`) must form layers, so the graph of imports between them
// has no cycle. A cycle means some import runs from a lower part back to one that builds on it
// (say `errors.ts` → `http/` while `http/` → `errors.ts`), which is what makes a tree stop
// reading top-down. Tests and test support are left out: they may import from anywhere.
//
//   node scripts/check-imports.mjs            every package under packages/
//   node scripts/check-imports.mjs --graph    also print each package's layers, top first
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const showGraph = process.argv.includes('--graph')

const isSource = (name) =>
  /\.(ts|tsx|mts)$/.test(name) && !/\.(test|test-d|spec)\.tsx?$/.test(name) && !name.endsWith('.d.ts')
// Test support is not product code: the private harness folders and the test setup.
const isTestSupport = (path) => /(^|\/)(test|testing|__tests__)\//.test(path) || /conformance/i.test(path)

function walk(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...walk(path))
    else if (isSource(name)) out.push(path)
  }
  return out
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g

/** The part of `src/` a file belongs to: its top folder, or the file itself at the root. */
const partOf = (srcDir, file) =>
  relative(srcDir, file)
    .split(sep)[0]
    .replace(/\.(ts|tsx|mts)$/, '')

function resolveImport(from, spec) {
  // Sources import their siblings as `./x.js` (what the build emits); the file is `x.ts`.
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''))
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return `${base}.ts`
}

/**
 * The imports that run back up. Parts are put in one order, top first, that as few import lines
 * as possible go against (Eades, Lin and Smyth's greedy order, each arrow weighted by how many
 * import lines it stands for); an arrow from a later part to an earlier one runs back up.
 * Removing every such import leaves layers.
 */
function backEdges(graph, weight) {
  const left = new Set(graph.keys())
  const out = (v) => [...graph.get(v)].filter((w) => left.has(w))
  const into = (v) => [...left].filter((u) => graph.get(u).has(v))
  const w = (u, v) => weight.get(`${u}→${v}`) ?? 0
  const head = []
  const tail = []
  while (left.size > 0) {
    let moved = true
    while (moved) {
      moved = false
      for (const v of [...left].sort()) {
        if (out(v).length === 0) {
          tail.unshift(v)
          left.delete(v)
          moved = true
        } else if (into(v).length === 0) {
          head.push(v)
          left.delete(v)
          moved = true
        }
      }
    }
    if (left.size === 0) break
    const score = (v) => out(v).reduce((n, x) => n + w(v, x), 0) - into(v).reduce((n, u) => n + w(u, v), 0)
    const best = [...left].sort((x, y) => score(y) - score(x) || x.localeCompare(y))[0]
    head.push(best)
    left.delete(best)
  }
  const rank = new Map([...head, ...tail].map((v, i) => [v, i]))
  const found = []
  for (const [u, targets] of graph) for (const v of targets) if (rank.get(v) < rank.get(u)) found.push([u, v])
  return found
}

/** Parts in layers, top first: a part sits above everything it imports (the graph is acyclic). */
function layers(graph) {
  const depth = new Map()
  const depthOf = (v) => {
    if (!depth.has(v)) {
      depth.set(v, 0)
      depth.set(v, 1 + Math.max(-1, ...[...(graph.get(v) ?? [])].map(depthOf)))
    }
    return depth.get(v)
  }
  for (const v of graph.keys()) depthOf(v)
  const byDepth = new Map()
  for (const [v, d] of depth) byDepth.set(d, [...(byDepth.get(d) ?? []), v].sort())
  return [...byDepth.entries()].sort((a, b) => b[0] - a[0])
}

let failed = false
for (const pkg of readdirSync(join(root, 'packages'))) {
  const srcDir = join(root, 'packages', pkg, 'src')
  try {
    statSync(srcDir)
  } catch {
    continue
  }
  const graph = new Map()
  const edges = new Map() // "a→b" → example import lines
  for (const file of walk(srcDir)) {
    const rel = relative(srcDir, file)
    if (isTestSupport(rel)) continue
    const from = partOf(srcDir, file)
    if (!graph.has(from)) graph.set(from, new Set())
    for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
      const target = resolveImport(file, match[1])
      if (!target.startsWith(srcDir + sep)) continue
      const to = partOf(srcDir, target)
      if (to === from || isTestSupport(relative(srcDir, target))) continue
      graph.get(from).add(to)
      const key = `${from}→${to}`
      if (!edges.has(key)) edges.set(key, [])
      edges.get(key).push(`${rel} → ${relative(srcDir, target)}`)
    }
  }
  const found = backEdges(graph, new Map([...edges].map(([key, lines]) => [key, lines.length])))
  if (found.length === 0) {
    console.log(`packages/${pkg}/src: ${graph.size} parts, no import runs back up`)
    if (showGraph) for (const [d, parts] of layers(graph)) console.log(`  layer ${d}: ${parts.join(', ')}`)
    continue
  }
  failed = true
  console.error(`packages/${pkg}/src: ${found.length} import(s) run back up (each closes a cycle of parts):`)
  for (const [a, b] of found) for (const line of edges.get(`${a}→${b}`)) console.error(`  ${line}`)
}
process.exit(failed ? 1 : 0)
