import { generateKeyPairSync } from 'node:crypto'
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose'
import { describe, expect, test } from 'vitest'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../SessionManagerOptions.js'
import { signCompactJws } from './jwsSigner.js'

const TYP = 'latch+jwt'

/** A key pair as the key ring holds it: a JWK re-imported with jose (so a `CryptoKey`). */
async function ringKey(alg: SigningAlgorithm) {
  const pair = await generateKeyPair(alg, { extractable: true })
  const privateKey = (await importJWK(await exportJWK(pair.privateKey), alg)) as CryptoKey
  const publicKey = (await importJWK(await exportJWK(pair.publicKey), alg)) as CryptoKey
  return { kid: `k-${alg}`, alg, key: privateKey, publicKey }
}

const claims = (now: number) => ({
  role: 'admin',
  nested: { a: [1, 2, 'ü'] },
  sid: 'session-1',
  sub: 'user-ü',
  iss: 'latch',
  iat: now,
  exp: now + 600,
  aud: 'api',
})

describe('jwsSigner: node:crypto signing, verified by jose', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    test(`${alg}: jose jwtVerify accepts it, header and payload are jose's bytes`, async () => {
      const key = await ringKey(alg)
      const now = Math.floor(Date.now() / 1000)
      const token = signCompactJws(key, TYP, claims(now))
      const { payload, protectedHeader } = await jwtVerify(token, key.publicKey, {
        algorithms: [alg],
        issuer: 'latch',
        audience: 'api',
        typ: TYP,
        requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      })
      expect(protectedHeader).toEqual({ alg, kid: key.kid, typ: TYP })
      expect(payload).toEqual(claims(now))
      // What jose's SignJWT builds for the same claims, in the order AccessTokens.sign uses.
      const viaJose = await new SignJWT({ role: 'admin', nested: { a: [1, 2, 'ü'] }, sid: 'session-1' })
        .setProtectedHeader({ alg, kid: key.kid, typ: TYP })
        .setSubject('user-ü')
        .setIssuer('latch')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setAudience('api')
        .sign(key.key)
      const [header, body, signature] = token.split('.')
      expect(`${header}.${body}`).toBe(viaJose.split('.').slice(0, 2).join('.'))
      expect(Buffer.from(signature!, 'base64url').length).toBe(
        Buffer.from(viaJose.split('.')[2]!, 'base64url').length,
      )
      // Deterministic schemes: the very same token.
      if (alg === 'EdDSA' || alg === 'RS256') expect(token).toBe(viaJose)
      // Signed twice with the cached key object and header: still valid.
      await expect(jwtVerify(signCompactJws(key, TYP, claims(now)), key.publicKey)).resolves.toBeTruthy()
    })
  }

  test('a tampered token fails jose verification', async () => {
    const key = await ringKey('EdDSA')
    const token = signCompactJws(key, TYP, { sub: 'a' })
    const forged = `${token.split('.')[0]}.${Buffer.from('{"sub":"b"}').toString('base64url')}.${token.split('.')[2]}`
    await expect(jwtVerify(forged, key.publicKey)).rejects.toThrow()
  })

  test('a key that does not fit the algorithm is refused', async () => {
    const ec = await ringKey('ES256')
    expect(() => signCompactJws({ ...ec, alg: 'ES384' }, TYP, {})).toThrow(TypeError)
    expect(() => signCompactJws({ ...ec, alg: 'EdDSA' }, TYP, {})).toThrow(TypeError)
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const key = (await importJWK(small.privateKey.export({ format: 'jwk' }) as never, 'RS256')) as CryptoKey
    expect(() => signCompactJws({ kid: 'small', alg: 'RS256', key }, TYP, {})).toThrow(/2048/)
  })
})
