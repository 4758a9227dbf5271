// What the figures were measured on, and how busy the machine was meanwhile: these machines are
// shared, so every report states the load next to the numbers.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

function cpuTimes() {
  // First line of /proc/stat: aggregate jiffies; idle = idle + iowait.
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = fields[3] + (fields[4] ?? 0)
  const total = fields.reduce((a, b) => a + b, 0)
  return { idle, total }
}

/** Share of all cores busy (0–1) over `ms`, whoever uses them. */
export async function cpuBusy(ms = 1000) {
  try {
    const a = cpuTimes()
    await sleep(ms)
    const b = cpuTimes()
    const total = b.total - a.total
    return total > 0 ? 1 - (b.idle - a.idle) / total : Number.NaN
  } catch {
    return Number.NaN
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

/** A description of this machine and checkout. */
export function describeMachine() {
  const list = cpus()
  return {
    cpuModel: list[0]?.model?.trim() ?? 'unknown',
    cores: list.length,
    memoryGB: Math.round(totalmem() / 1e9),
    freeMemoryGB: Math.round(freemem() / 1e9),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: (git(['status', '--porcelain', '--untracked-files=no', '--', 'packages']) ?? '') !== '',
    loadavg: loadavg(),
  }
}
