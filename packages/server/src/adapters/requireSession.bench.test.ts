/**
 * Throughput of a protected express route against the same route without auth. Prints, never
 * asserts (timing on a shared machine is noise): run with `LATCH_BENCH=1 pnpm vitest run <this file>`.
 */
import { Agent, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { describe, expect, test } from 'vitest'
import { createSessionManager } from '../createSessionManager.js'
import { memoryStore } from '../stores/memory.js'
import { requireSession } from './express.js'

function get(agent: Agent, port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { cookie } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

async function run(
  agent: Agent,
  port: number,
  path: string,
  cookie: string,
  total: number,
  concurrency: number,
) {
  let sent = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent++
        if ((await get(agent, port, path, cookie)) !== 200) throw new Error(`unexpected status on ${path}`)
      }
    }),
  )
  return total / ((performance.now() - started) / 1000)
}

describe.skipIf(!process.env.LATCH_BENCH)('requireSession throughput', () => {
  test('protected vs bare route', async () => {
    const sessions = createSessionManager({ store: memoryStore() })
    const { accessToken } = await sessions.create(new Request('http://localhost/'), { userId: 'alice' })
    const app = express()
    app.get('/bare', (_req, res) => res.json({ ok: true }))
    app.get('/protected', requireSession(sessions), (_req, res) => res.json({ ok: true }))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const port = (server.address() as AddressInfo).port
    const agent = new Agent({ keepAlive: true, maxSockets: 16 })
    const cookie = `latch-access=${accessToken}`
    await run(agent, port, '/bare', cookie, 500, 16) // warm-up
    await run(agent, port, '/protected', cookie, 500, 16)
    const bare: number[] = []
    const protectedRoute: number[] = []
    for (let round = 0; round < 3; round++) {
      bare.push(await run(agent, port, '/bare', cookie, 2000, 16))
      protectedRoute.push(await run(agent, port, '/protected', cookie, 2000, 16))
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    const ratio = median(protectedRoute) / median(bare)
    console.log(
      `bare ${median(bare).toFixed(0)} req/s, requireSession ${median(protectedRoute).toFixed(0)} req/s, ratio ${ratio.toFixed(3)}`,
    )
    expect(ratio).toBeGreaterThan(0) // a sanity check on the run itself, not a timing assertion
    agent.destroy()
    await new Promise((resolve) => server.close(resolve))
    await sessions.close()
  }, 120_000)
})
