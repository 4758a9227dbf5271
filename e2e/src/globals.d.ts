import type { SessionClient } from '@latch/client'

declare global {
  interface Window {
    /** The demo SPA exposes its session client here. */
    latch: SessionClient
  }
}
