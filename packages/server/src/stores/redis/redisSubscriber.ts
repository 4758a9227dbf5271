import type { Redis } from 'ioredis'
import type { RevocationHub } from '../RevocationHub.js'

/**
 * Opens the dedicated subscriber connection (a connection in subscribe mode can run nothing
 * else) and feeds `channel` into `hub`. ioredis reconnects and resubscribes by itself; messages
 * published meanwhile are lost, so every reconnection after the first tells the hub to resync.
 */
export async function startRedisSubscriber(
  client: Redis,
  channel: string,
  hub: RevocationHub,
): Promise<Redis> {
  const sub = client.duplicate()
  let readyOnce = false
  sub.on('ready', () => {
    if (readyOnce) hub.resync()
    readyOnce = true
  })
  sub.on('error', () => {}) // it reconnects on its own; without a listener ioredis logs every attempt
  sub.on('message', (from: string, message: string) => {
    if (from === channel) hub.publishJson(message)
  })
  try {
    await sub.subscribe(channel)
  } catch (error) {
    // Do not leave a connection retrying in the background for a subscription nobody holds.
    sub.disconnect()
    throw error
  }
  readyOnce = true
  return sub
}
