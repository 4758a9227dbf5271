// A what-if for the report, not a change to Latch: loaded with `node --import`, it hands
// @latch/server's dist a `jose` whose SignJWT signs EdDSA synchronously with node:crypto — the
// change proposed for `AccessTokens.sign` — so the refresh benchmark can measure its effect on
// the real refresh path. Everything else (verification included) is jose itself.
import { register } from 'node:module'

register(new URL('./syncSignHooks.mjs', import.meta.url))
