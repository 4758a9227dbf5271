import { createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { jwtVerify, SignJWT } from 'jose'

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const now = Math.floor(Date.now() / 1000)
const payload = { sid: 'x'.repeat(22) }
const hdr = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k', typ: 'latch+jwt' })).toString('base64url')
async function time(name, fn, n = 4000) {
  for (let i = 0; i < 500; i++) await fn()
  const c = process.cpuUsage()
  const t = performance.now()
  for (let i = 0; i < n; i++) await fn()
  const d = process.cpuUsage(c)
  console.log(
    name.padEnd(48),
    'wall',
    (((performance.now() - t) * 1000) / n).toFixed(1).padStart(6),
    'µs  cpu',
    ((d.user + d.system) / n).toFixed(1).padStart(6),
    'µs',
  )
}
let jwt
await time('jose SignJWT EdDSA (WebCrypto, async)', async () => {
  jwt = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k', typ: 'latch+jwt' })
    .setSubject('alice')
    .setIssuer('latch')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey)
})
await time('node:crypto.sign ed25519 (sync, KeyObject)', () => {
  const input = `${hdr}.${Buffer.from(JSON.stringify({ ...payload, sub: 'alice', iss: 'latch', iat: now, exp: now + 600 })).toString('base64url')}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
})
await time('jose jwtVerify EdDSA (WebCrypto, async)', () =>
  jwtVerify(jwt, publicKey, { algorithms: ['EdDSA'] }),
)
const [a, b, c] = jwt.split('.')
await time('node:crypto.verify ed25519 (sync)', () =>
  verify(null, Buffer.from(`${a}.${b}`), publicKey, Buffer.from(c, 'base64url')),
)
