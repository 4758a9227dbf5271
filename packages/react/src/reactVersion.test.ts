import { version as reactVersion } from 'react'
import { version as reactDomVersion } from 'react-dom'
import { describe, expect, it } from 'vitest'

// The `react18` project (vitest.react18.config.ts) runs every test here against React 18.3; this
// one fails if its aliases stop reaching React 18 (or the `react` project stops running React 19).
const expected = process.env.LATCH_EXPECT_REACT ?? '19'

describe(`React ${expected}`, () => {
  it('is the React and react-dom these tests run against', () => {
    expect(reactVersion.split('.')[0]).toBe(expected)
    expect(reactDomVersion).toBe(reactVersion)
    if (expected === '18') expect(reactVersion).toMatch(/^18\.3\./)
  })
})
