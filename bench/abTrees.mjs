// A/B of the express guard between this checkout and another (an older commit, a branch): one
// `latch` server of section 1 from each tree (each tree's own bench/sections/httpServer.mjs on
// its own built packages), loaded in interleaved rounds from one load generator. Each server's
// figure is its own guarded route ÷ its own unguarded route, measured in the same round, so the
// difference between two processes and the host's drift cancel; the trees are then compared
// round by round.
//
//   git worktree add --detach ../old <commit> && (cd ../old && pnpm install && pnpm build)
//   pnpm build && node bench/abTrees.mjs ../old [--rounds=30] [--seconds=1]
import { resolve } from 'node:path'
import { LOAD_CORES, startChild } from './lib/child.mjs'
import { login } from './sections/http.mjs'

const args = process.argv.slice(2)
const other = args.find((a) => !a.startsWith('--'))
if (!other) throw new Error('usage: node bench/abTrees.mjs <other checkout> [--rounds=N] [--seconds=S]')
const option = (name, fallback) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const rounds = option('rounds', 30)
const durationSec = option('seconds', 1)
const connections = 32

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const trees = [
  { name: 'this', server: 'sections/httpServer.mjs' },
  { name: 'other', server: resolve(other, 'bench/sections/httpServer.mjs') },
]
const loader = await startChild('sections/httpLoad.mjs', {}, { cores: LOAD_CORES?.loader })
try {
  for (const tree of trees) {
    tree.child = await startChild(tree.server, { variant: 'latch' }, { cores: LOAD_CORES?.server })
    tree.cookie = await login(tree.child.port)
    tree.added = []
    tree.ratio = []
  }
  const load = async (tree, path) => {
    const before = await tree.child.request({ type: 'stats' })
    const result = await loader.request(
      {
        type: 'load',
        job: {
          url: `http://127.0.0.1:${tree.child.port}${path}`,
          headers: { cookie: tree.cookie },
          connections,
          durationSec,
          warmupSec: 0.25,
        },
      },
      (durationSec + 2) * 1000 + 30_000,
    )
    const after = await tree.child.request({ type: 'stats' })
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${tree.name} ${path}: errors under load`)
    return (after.cpuUs - before.cpuUs) / Math.max(1, after.requests - before.requests)
  }
  for (let round = 0; round < rounds; round++) {
    // Alternate which tree and which route go first, so neither always meets a warmer host.
    const order = round % 2 ? [...trees].reverse() : trees
    for (const tree of order) {
      const paths = round % 4 < 2 ? ['/api/me', '/api/open'] : ['/api/open', '/api/me']
      const cpu = {}
      for (const path of paths) cpu[path] = await load(tree, path)
      tree.added.push(cpu['/api/me'] - cpu['/api/open'])
      tree.ratio.push(cpu['/api/open'] / cpu['/api/me'])
    }
    console.log(
      `round ${round + 1}/${rounds}: ` +
        trees
          .map((t) => `${t.name} +${t.added.at(-1).toFixed(1)} µs (${t.ratio.at(-1).toFixed(3)})`)
          .join(', '),
    )
  }
  const diff = trees[0].added.map((added, i) => added - trees[1].added[i])
  console.log(
    `\n${rounds} rounds of ${durationSec} s per route, the guard alone (guarded ÷ unguarded, server CPU):`,
  )
  for (const tree of trees)
    console.log(
      `  ${tree.name.padEnd(5)}: +${median(tree.added).toFixed(1)} µs per request, ratio ${median(tree.ratio).toFixed(3)}`,
    )
  console.log(
    `  this − other, paired by round: median ${median(diff).toFixed(1)} µs ` +
      `(${diff.filter((d) => d < 0).length} of ${rounds} rounds cheaper here)`,
  )
} finally {
  await Promise.all([...trees.map((t) => t.child?.stop()), loader.stop()])
}
