/** Finds a free loopback port for a server (or driver) a test starts. */
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A port nothing listens on at the moment: the system picks it, then it is released. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
