import { describe, expect, it } from 'vitest'
import type { Device } from './api'
import { deviceDetails, formatWhen, sortDevices } from './deviceDetails'

const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36'
const now = new Date(2026, 11, 7, 14, 30, 0).getTime()
const device = (id: string, createdAt: number, lastRefreshedAt: number, current = false): Device => ({
  id,
  createdAt,
  lastRefreshedAt,
  userAgent: UA,
  current,
  bound: false,
})

describe('device rows', () => {
  it('tell apart two sessions of the same browser on the same system', () => {
    const a = deviceDetails(device('aB3xQ9-rest-of-id', now - 20 * 60_000, now - 10_000, true), now)
    const b = deviceDetails(device('Zk81_w-rest-of-id', now - 5 * 60_000, now - 4 * 60_000), now)
    expect(a.name).toBe('Headless Chrome on Linux')
    expect(b.name).toBe(a.name)
    expect(a).toMatchObject({
      signedIn: 'Signed in 14:10:00 (20 min ago)',
      lastActive: 'Last active 14:29:50 (just now)',
      tag: 'Session aB3xQ9',
      current: true,
    })
    expect(b).toMatchObject({
      signedIn: 'Signed in 14:25:00 (5 min ago)',
      lastActive: 'Last active 14:26:00 (4 min ago)',
      tag: 'Session Zk81_w',
      current: false,
    })
  })

  it('sessions signed in the same second still differ by their tag', () => {
    const a = deviceDetails(device('aaaaaa1', now, now), now)
    const b = deviceDetails(device('bbbbbb1', now, now), now)
    expect([a.signedIn, a.lastActive]).toEqual([b.signedIn, b.lastActive])
    expect(a.tag).not.toBe(b.tag)
  })

  it('gives the date for another day', () => {
    const yesterday = new Date(2026, 11, 6, 9, 5, 0).getTime()
    expect(formatWhen(yesterday, now)).toMatch(/^\D*\d{1,2}\D*, 09:05$|^Dec 6, 09:05$/)
    expect(formatWhen(yesterday, now)).toMatch(/, 09:05$/)
    expect(formatWhen(now - 1000, now)).toBe('14:29:59')
  })

  it('puts this device first, then the most recently active', () => {
    const sorted = sortDevices([
      device('old', now - 9e6, now - 9e6),
      device('recent', now - 9e6, now - 1000),
      device('mine', now - 9e6, now - 5e6, true),
    ])
    expect(sorted.map((d) => d.id)).toEqual(['mine', 'recent', 'old'])
  })
})
