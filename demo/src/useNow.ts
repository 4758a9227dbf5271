import { useEffect, useState } from 'react'

/** The current time, re-rendering every `intervalMs` (for countdowns and "2 min ago" labels). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}
