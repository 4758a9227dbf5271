/**
 * The revocation subscription of the Redis store on a Redis Cluster: a plain connection to one
 * node at a time, moved to the next node when it is lost.
 * @module
 */
import { type Cluster, Redis } from 'ioredis'
import type { RevocationHub } from '../RevocationHub.js'

/** The longest wait between two attempts to re-subscribe, in ms. */
const MAX_BACKOFF_MS = 2000

/** A node to subscribe on. */
interface NodeAddress {
  host: string
  port: number
}

/**
 * The revocation subscription on a Redis Cluster. Classic `PUBLISH` is cluster-wide (every node
 * forwards it to its own subscribers over the cluster bus), so one connection to any node
 * receives every push. This opens a plain connection to one node — the first of `preferred` that
 * answers, then the cluster's other known nodes — and, when that connection is lost (the node
 * stopped, a network cut), moves to the next node with a backoff of up to 2 s. Messages published
 * while no subscription was up are lost, so every subscription after the first tells the hub to
 * resync. ioredis' own cluster subscriber moves between nodes silently, which would hide exactly
 * that gap, hence a connection of our own.
 *
 * Rejects only if the first subscription fails on every known node.
 */
export function startClusterSubscriber(
  cluster: Cluster,
  preferred: NodeAddress[],
  channel: string,
  hub: RevocationHub,
): Promise<{ disconnect(): void }> {
  const candidates = (): NodeAddress[] => {
    const seen = new Set<string>()
    const out: NodeAddress[] = []
    const known = cluster.nodes('all').map((n) => ({ host: n.options.host!, port: n.options.port! }))
    for (const node of [...preferred, ...known]) {
      const key = `${node.host}:${node.port}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push(node)
    }
    return out
  }
  // Credentials, TLS and timeouts of the cluster's node connections. The subscriber never
  // reconnects by itself (a lost node may not come back soon: the next node is tried instead).
  const base = cluster.options.redisOptions ?? {}

  let stopped = false
  let current: Redis | null = null
  let timer: NodeJS.Timeout | undefined
  let next = 0
  let failures = 0
  let subscribedOnce = false
  const handle = {
    disconnect() {
      stopped = true
      clearTimeout(timer)
      current?.disconnect()
      current = null
    },
  }

  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (stopped) return
      const list = candidates()
      if (list.length === 0) {
        handle.disconnect()
        reject(new Error('No Redis Cluster node is known to subscribe on.'))
        return
      }
      const node = list[next % list.length]!
      const sub = new Redis({
        ...base,
        host: node.host,
        port: node.port,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      })
      current = sub
      let lost = false
      const onLost = () => {
        if (lost || stopped || current !== sub) return
        lost = true
        current = null
        sub.disconnect()
        next++
        failures++
        if (!subscribedOnce && failures >= list.length) {
          handle.disconnect()
          reject(new Error('Could not subscribe on any Redis Cluster node.'))
          return
        }
        timer = setTimeout(attempt, Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(failures, 6)))
      }
      sub.on('error', () => {}) // surfaces as 'end'; without a listener ioredis logs it
      sub.on('message', (from: string, message: string) => {
        if (from === channel) hub.publishJson(message)
      })
      sub.once('end', onLost)
      sub.subscribe(channel).then(() => {
        if (stopped || lost) return
        failures = 0
        if (subscribedOnce) hub.resync()
        else {
          subscribedOnce = true
          resolve(handle)
        }
      }, onLost)
    }
    if (candidates().length > 0) attempt()
    else {
      // A cluster that has not connected yet knows no nodes: a command connects it (or fails).
      cluster.ping().then(attempt, (error: unknown) => {
        handle.disconnect()
        reject(error)
      })
    }
  })
}
