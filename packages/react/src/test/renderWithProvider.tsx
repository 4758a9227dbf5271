import type { SessionClient } from '@latch/client'
import { type RenderResult, render } from '@testing-library/react'
import { type ReactElement, StrictMode } from 'react'
import { SessionProvider, type SessionProviderProps } from '../SessionProvider'

export interface RenderWithProviderOptions extends Omit<SessionProviderProps, 'client' | 'children'> {
  /** Wrap in `<StrictMode>` (double render, double effects). */
  strict?: boolean
}

/** Renders `ui` under a `SessionProvider` for `client`; `rerender` keeps the provider. */
export function renderWithProvider(
  client: SessionClient,
  ui: ReactElement,
  { strict = false, ...props }: RenderWithProviderOptions = {},
): RenderResult & { rerenderWithProps: (ui: ReactElement, next?: RenderWithProviderOptions) => void } {
  const wrap = (node: ReactElement, providerProps: Omit<RenderWithProviderOptions, 'strict'>) => {
    const tree = (
      <SessionProvider client={client} {...providerProps}>
        {node}
      </SessionProvider>
    )
    return strict ? <StrictMode>{tree}</StrictMode> : tree
  }
  const result = render(wrap(ui, props))
  return {
    ...result,
    rerenderWithProps: (next, nextProps = props) => result.rerender(wrap(next, nextProps)),
  }
}
