'use client'
import { type SessionInfo, SessionProvider } from '@latch/react'
/**
 * The session provider of the whole app, and the one place that keeps the server-rendered part in
 * step with the browser's session.
 */
import type { ReadSessionResult } from '@latch/server'
import { useRouter } from 'next/navigation'
import { type ReactNode, useEffect } from 'react'
import { latch } from './latch'

export interface ProvidersProps {
  /** `initialSessionOf(result)`, computed in the layout (a server component). */
  initialSession: SessionInfo | null | undefined
  /** What the server read for this render: decides whether a refresh must re-render it. */
  serverStatus: ReadSessionResult['status']
  children: ReactNode
}

export function Providers({ initialSession, serverStatus, children }: ProvidersProps) {
  const router = useRouter()

  // Server components render who is signed in, so they re-render (router.refresh(): a new RSC
  // payload, client state kept) when that changes: a sign-in or sign-out here or in another tab.
  useEffect(() => {
    const offSignedIn = latch.on('signedIn', () => router.refresh())
    const offSignedOut = latch.on('signedOut', () => router.refresh())
    return () => {
      offSignedIn()
      offSignedOut()
    }
  }, [router])

  // A routine refresh changes nothing the server shows, so it re-renders nothing. Only a page the
  // server rendered as `refresh` (access token expired: no user shown) waits for the refresh the
  // provider makes on mount, then re-renders once with the new access token.
  useEffect(() => {
    if (serverStatus !== 'refresh') return
    const snapshot = latch.getSnapshot()
    // Already settled (another tab refreshed before this one hydrated, or the session is gone).
    if (snapshot.status !== 'authenticated' || snapshot.session.accessTokenExpiresAt > Date.now()) {
      router.refresh()
      return
    }
    return latch.on('refreshed', () => router.refresh())
  }, [router, serverStatus])

  return (
    <SessionProvider client={latch} initialSession={initialSession}>
      {children}
    </SessionProvider>
  )
}
