// The adapter entry reads the manager's internals through a registered symbol, so it works when the
// manager comes from one build and the adapter from the other (a CommonJS dependency requiring
// `@latch/server/adapter` in an ESM app): the CommonJS build bundles each entry whole, so each has
// its own copy of every module. Runs against the build (`pnpm run build` first; scripts/test.sh does).
import { createRequire } from 'node:module'
import { createSessionManager, memoryStore } from '@latch/server'
import { expect, test } from 'vitest'

const require = createRequire(import.meta.url)

test('an ESM manager with the CommonJS adapter entry: cached verify and answers work', async () => {
  const { answerRequest, cachedVerifier } =
    require('@latch/server/adapter') as typeof import('@latch/server/adapter')
  const sessions = createSessionManager({ store: memoryStore() })
  const request = new Request('http://localhost/login', { method: 'POST' })
  const { accessToken } = await sessions.create(request, { userId: 'alice', transport: 'header' })
  const bearer = new Request('http://localhost/api', { headers: { authorization: `Bearer ${accessToken}` } })
  // Issued here, so already in the cache: a hit through the other build's function.
  expect(cachedVerifier(sessions)(bearer)?.userId).toBe('alice')
  const jwks = await answerRequest(sessions, new Request('http://localhost/auth/session/jwks.json'))
  expect(jwks?.status).toBe(200)
  await sessions.close()
})
