/**
 * A throwaway Redis Cluster for the tests: `masters` masters (no replicas) on 127.0.0.1, each
 * with its own temp dir, joined with `redis-cli --cluster create`, ready once every node reports
 * `cluster_state:ok`. Nodes can be stopped and started again on the same ports (the outage test);
 * with `persistent` their data survives that (an append-only file, flushed on SIGTERM).
 * `cluster-require-full-coverage no`, so the masters left keep serving their slots while one is
 * down: the setting a deployment without replicas needs (see docs/many-instances.md).
 * Binaries: `LATCH_REDIS_SERVER` / `LATCH_REDIS_CLI` override `/usr/bin/redis-server` / `redis-cli`.
 * Not part of the package.
 * @module
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort, redisPing } from './dedicatedServers.js'

const REDIS_SERVER = process.env.LATCH_REDIS_SERVER ?? '/usr/bin/redis-server'
const REDIS_CLI = process.env.LATCH_REDIS_CLI ?? '/usr/bin/redis-cli'
const INSTALL = 'apt-get install -y redis-server'
const run = promisify(execFile)

/** One master of a {@link TestRedisCluster}. */
export interface ClusterNodeInfo {
  readonly port: number
  readonly url: string
  /** `[first, last]` slot ranges this master serves (filled in once the cluster is up). */
  readonly slots: [number, number][]
}

/** A running test cluster. */
export interface TestRedisCluster {
  readonly nodes: ClusterNodeInfo[]
  /** `redis://…` of every master, comma-separated (the form the instance program reads). */
  readonly urls: string
  /** The master serving `slot`. */
  nodeOfSlot(slot: number): ClusterNodeInfo
  /** Stops one master (SIGTERM: the append-only file is flushed; connections are refused). */
  stop(node: ClusterNodeInfo): Promise<void>
  /** Starts it again on its port with its data and cluster identity; resolves once the cluster is ok. */
  start(node: ClusterNodeInfo): Promise<void>
  /** Stops every node for good and removes the data. Safe to call twice. */
  destroy(): Promise<void>
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  })
  return stdout
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Starts a cluster of `masters` masters; throws (after cleaning up) if it does not come up. */
export async function startRedisCluster({
  masters = 3,
  persistent = false,
}: {
  masters?: number
  persistent?: boolean
} = {}): Promise<TestRedisCluster> {
  for (const bin of [REDIS_SERVER, REDIS_CLI]) {
    if (!existsSync(bin)) throw new Error(`Cluster tests need ${bin}. Install it: ${INSTALL}`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'latch-redis-cluster-'))
  const children = new Map<number, { child: ChildProcess; exited: Promise<void> }>()
  const nodes: { port: number; busPort: number; url: string; slots: [number, number][] }[] = []

  const spawnNode = async (node: (typeof nodes)[number]) => {
    const args = [
      '--port',
      String(node.port),
      '--cluster-port',
      String(node.busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${node.port}.conf`,
      // Fast failure detection keeps the outage test short; full coverage off lets the other
      // masters serve their slots while one is down.
      '--cluster-node-timeout',
      '2000',
      '--cluster-require-full-coverage',
      'no',
      '--save',
      '',
      '--dir',
      join(dir, String(node.port)),
      ...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
    ]
    const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    children.set(node.port, { child, exited })
    await waitFor(`redis-server on port ${node.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
      return redisPing(node.port)
    })
  }
  const stopNode = async (port: number, signal: NodeJS.Signals = 'SIGTERM') => {
    const entry = children.get(port)
    if (!entry) return
    if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill(signal)
    await entry.exited
    children.delete(port)
  }
  const clusterOk = async () => {
    for (const node of nodes) {
      if (!children.has(node.port)) continue
      if (!(await cli(node.port, 'cluster', 'info')).includes('cluster_state:ok')) return false
    }
    return true
  }
  const destroy = async () => {
    await Promise.all([...children.keys()].map((port) => stopNode(port, 'SIGKILL')))
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    const ports = new Set<number>()
    while (ports.size < masters * 2) ports.add(await freePort())
    const list = [...ports]
    for (let i = 0; i < masters; i++) {
      const port = list[2 * i]!
      nodes.push({ port, busPort: list[2 * i + 1]!, url: `redis://127.0.0.1:${port}`, slots: [] })
    }
    for (const node of nodes) mkdirSync(join(dir, String(node.port)))
    await Promise.all(nodes.map(spawnNode))
    await run(
      REDIS_CLI,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    )
    await waitFor('cluster_state:ok on every node', clusterOk)
    // Slot ranges per master: CLUSTER SLOTS answers [start, end, [host, port, id], …] per range.
    const shards = await cli(nodes[0]!.port, '--json', 'cluster', 'slots')
    for (const [start, end, [, port]] of JSON.parse(shards) as [number, number, [string, number]][]) {
      nodes.find((n) => n.port === port)?.slots.push([start, end])
    }
    // Every node must also agree on the slot map before a client asks any of them.
    await waitFor('every node to know every slot', async () => {
      for (const node of nodes) {
        const info = await cli(node.port, 'cluster', 'info')
        if (
          !info.includes('cluster_slots_assigned:16384') ||
          !info.includes(`cluster_known_nodes:${masters}`)
        )
          return false
      }
      return true
    })
  } catch (error) {
    await destroy()
    throw error
  }

  const byPort = (info: ClusterNodeInfo) => {
    const node = nodes.find((n) => n.port === info.port)
    if (!node) throw new Error(`no node on port ${info.port}`)
    return node
  }
  return {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    nodeOfSlot(slot) {
      const node = nodes.find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b))
      if (!node) throw new Error(`no node serves slot ${slot}`)
      return node
    },
    stop: (info) => stopNode(byPort(info).port),
    async start(info) {
      await spawnNode(byPort(info))
      await waitFor('cluster_state:ok after the restart', clusterOk, 30_000)
    },
    destroy,
  }
}

/** Deletes every key under `prefix` on every running master (one key at a time: keys span slots). */
export async function dropRedisClusterPrefix(cluster: TestRedisCluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes) {
    const client = new Redis(node.url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      let cursor = '0'
      do {
        const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        await Promise.all(found.map((key) => client.unlink(key)))
        cursor = next
      } while (cursor !== '0')
    } finally {
      client.disconnect()
    }
  }
}

/** The hash slot of `key` (asked of the first node that answers). */
export async function keySlot(cluster: TestRedisCluster, key: string): Promise<number> {
  let last: unknown
  for (const node of cluster.nodes) {
    try {
      return Number((await cli(node.port, 'cluster', 'keyslot', key)).trim())
    } catch (error) {
      last = error
    }
  }
  throw last
}

/** The master on which a connection named `name` is subscribed, if any. */
export async function subscribedNode(
  cluster: TestRedisCluster,
  name: string,
): Promise<ClusterNodeInfo | undefined> {
  for (const node of cluster.nodes) {
    const list = await cli(node.port, 'client', 'list').catch(() => '')
    if (list.split('\n').some((l) => l.includes(`name=${name} `) && / sub=1 /.test(l))) return node
  }
  return undefined
}
