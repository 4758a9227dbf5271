import { runChild, startChild } from '../lib/child.mjs'

const variant = process.argv[2]
const srv = await startChild(
  'sections/httpServer.mjs',
  { variant },
  { execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/prof/http-' + variant] },
)
let cookie = ''
if (variant !== 'bare') {
  const r = await fetch(`http://127.0.0.1:${srv.port}/login`, { method: 'POST' })
  cookie = r.headers
    .getSetCookie()
    .map((l) => l.split(';')[0])
    .join('; ')
}
const res = await runChild('sections/httpLoad.mjs', {
  url: `http://127.0.0.1:${srv.port}/api/me`,
  headers: { cookie },
  connections: 32,
  durationSec: 5,
  warmupSec: 1,
})
console.log(variant, Math.round(res.rps), res.non2xx)
await srv.stop()
