import { SessionProvider } from '@latch/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { latch } from './latch'
import './styles.css'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider client={latch}>
      <App />
    </SessionProvider>
  </StrictMode>,
)
