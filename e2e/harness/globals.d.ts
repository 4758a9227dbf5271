import type { SessionClient } from '@latch/client'

declare global {
  interface Window {
    /** The demo SPA and the Next.js example expose their session client here. */
    latch: SessionClient
  }
}
