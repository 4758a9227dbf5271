/**
 * The session of the page being rendered, for server components. Read-only: a server component
 * cannot set cookies, and the refresh cookie is never sent to pages (its path is /auth/session),
 * so an expired access token comes back as `refresh` and the browser refreshes.
 * @module
 */
import type { ReadSessionResult } from '@latch/server'
import { headers } from 'next/headers'
import { cache } from 'react'
import { sessions } from './sessions'

/** Once per request, however many server components ask (React `cache`). */
export const getSession = cache(async (): Promise<ReadSessionResult> => {
  const requestHeaders = await headers()
  return sessions.readSession({
    cookie: requestHeaders.get('cookie'),
    authorization: requestHeaders.get('authorization'),
    // Behind a TLS-terminating proxy the page URL is https even though this server is plain HTTP.
    https: requestHeaders.get('x-forwarded-proto') === 'https' || undefined,
  })
})
