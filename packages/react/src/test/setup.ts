import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

// Tests that drive react-dom directly (hydrateRoot) need act() to be recognised too.
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

// Vitest runs without globals here, so Testing Library cannot register its own cleanup.
afterEach(cleanup)
