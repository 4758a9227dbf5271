/**
 * What a row of the device list says, so that two sessions of the same browser on the same
 * system (two "Chrome on Linux") can be told apart: when each signed in, when it was last
 * active, a short tag of its session id, and which one is this device.
 * @module
 */
import type { Device } from './api'
import { describeUserAgent, formatAgo } from './format'

/** The text of one device row. */
export interface DeviceDetails {
  /** "Chrome on Linux". */
  name: string
  /** "Signed in 14:03:27 (5 min ago)". */
  signedIn: string
  /** "Last active 14:08:10 (just now)": moves on every refresh of that session. */
  lastActive: string
  /**
   * The first characters of the session id (not a secret: the page's own front token carries
   * it, and it signs nobody in), the one thing two sessions never share.
   */
  tag: string
  /** Whether it is the session of this browser. */
  current: boolean
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `14:03:27` today, `Dec 5, 14:03` on another day: an absolute time to compare rows by. */
export function formatWhen(at: number, now: number): string {
  const date = new Date(at)
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`
  if (date.toDateString() === new Date(now).toDateString()) return `${time}:${pad(date.getSeconds())}`
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`
}

/** The row text of `device` at `now`. */
export function deviceDetails(device: Device, now: number): DeviceDetails {
  return {
    name: describeUserAgent(device.userAgent),
    signedIn: `Signed in ${formatWhen(device.createdAt, now)} (${formatAgo(device.createdAt, now)})`,
    lastActive: `Last active ${formatWhen(device.lastRefreshedAt, now)} (${formatAgo(device.lastRefreshedAt, now)})`,
    tag: `Session ${device.id.slice(0, 6)}`,
    current: device.current,
  }
}

/** This device first, then the most recently active. */
export function sortDevices(devices: readonly Device[]): Device[] {
  return [...devices].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.lastRefreshedAt - a.lastRefreshedAt,
  )
}
