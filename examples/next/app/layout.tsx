import { initialSessionOf } from '@latch/client'
import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { Providers } from '../components/Providers'
import { getSession } from '../lib/getSession'

export const metadata: Metadata = { title: 'Latch + Next.js' }

export default async function RootLayout({ children }: { children: ReactNode }) {
  const result = await getSession()
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '2rem auto' }}>
        {/* initialSessionOf from @latch/client: @latch/react's bundle is a client module, so its
            functions cannot be called here. The result is plain data the client component takes. */}
        <Providers initialSession={initialSessionOf(result)} serverStatus={result.status}>
          {children}
        </Providers>
      </body>
    </html>
  )
}
