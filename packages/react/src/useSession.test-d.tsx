import type { SessionInfo, SignedOutReason } from '@latch/client'
import { describe, expectTypeOf, it } from 'vitest'
import type { RequireSessionProps } from './RequireSession'
import type { SessionProviderProps } from './SessionProvider'
import { type UseSessionResult, useSession } from './useSession'

describe('useSession types', () => {
  it('narrows session to SessionInfo when authenticated, null otherwise', () => {
    const result = {} as UseSessionResult
    expectTypeOf(result.session).toEqualTypeOf<SessionInfo | null>()
    if (result.status === 'authenticated') {
      expectTypeOf(result.session).toEqualTypeOf<SessionInfo>()
      expectTypeOf(result.session.userId).toBeString()
    } else {
      expectTypeOf(result.status).toEqualTypeOf<'loading' | 'unauthenticated'>()
      expectTypeOf(result.session).toBeNull()
    }
  })

  it('exposes why the session ended when unauthenticated', () => {
    const result = {} as UseSessionResult
    if (result.status === 'unauthenticated')
      expectTypeOf(result.reason).toEqualTypeOf<SignedOutReason | undefined>()
  })

  it('narrows when destructured too', () => {
    const { status, session } = {} as UseSessionResult
    if (status === 'authenticated') expectTypeOf(session).toEqualTypeOf<SessionInfo>()
    if (status === 'loading') expectTypeOf(session).toBeNull()
  })

  it('does not let session be read as non-null without a check', () => {
    const result = {} as UseSessionResult
    // @ts-expect-error session may be null until status is checked
    result.session.userId
  })

  it('returns the actions on every branch', () => {
    expectTypeOf(useSession).returns.toHaveProperty('signOut').toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(useSession)
      .returns.toHaveProperty('refresh')
      .toEqualTypeOf<() => Promise<SessionInfo | null>>()
  })

  it('types the provider and guard props', () => {
    expectTypeOf<SessionProviderProps['initialSession']>().toEqualTypeOf<SessionInfo | null | undefined>()
    expectTypeOf<NonNullable<SessionProviderProps['onSignedOut']>>()
      .parameter(0)
      .toEqualTypeOf<
        'signout' | 'unauthorized' | 'session_expired' | 'token_theft_detected' | 'other_tab' | 'key_lost'
      >()
    expectTypeOf<RequireSessionProps['children']>()
      .extract<(s: SessionInfo) => unknown>()
      .parameter(0)
      .toEqualTypeOf<SessionInfo>()
  })
})
