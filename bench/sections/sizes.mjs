// Section 4: bytes on the wire and in the bundle. Token and cookie sizes come from the real
// manager (values are measured, never printed); bundle sizes from esbuild bundle + minify + gzip.
import { fileURLToPath } from 'node:url'
import { bundleSize } from '../lib/bundleSize.mjs'
import { runAsChild } from '../lib/child.mjs'
import { createLatch, loginRequest } from '../lib/latch.mjs'

const HTTPS_ORIGIN = 'https://app.example.com'

/** Bytes of the response header lines `Set-Cookie: <value>\r\n`, and each cookie's name and size. */
function setCookieBytes(headers) {
  const lines = headers.getSetCookie()
  return {
    total: lines.reduce((sum, line) => sum + Buffer.byteLength(`Set-Cookie: ${line}\r\n`), 0),
    cookies: lines.map((line) => ({
      name: line.slice(0, line.indexOf('=')),
      bytes: Buffer.byteLength(line),
    })),
  }
}

/** The `Cookie:` request header a browser sends with `path`'s requests after these Set-Cookies. */
function cookieHeaderFor(headers, path) {
  const pairs = []
  for (const line of headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim())
    const cookiePath = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
    if (path === cookiePath || path.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`))
      pairs.push(pair)
  }
  return pairs.join('; ')
}

async function tokenSizes() {
  const latch = await createLatch({})
  try {
    const { sessions } = latch
    const header = await sessions.create(loginRequest({ transport: 'header', origin: HTTPS_ORIGIN }), {
      userId: 'alice',
    })
    const withClaims = await sessions.create(loginRequest({ transport: 'header', origin: HTTPS_ORIGIN }), {
      userId: 'alice',
      claims: { role: 'admin', org: 'acme' },
    })
    // A typical production user id (UUID) instead of a short name.
    const uuid = await sessions.create(loginRequest({ transport: 'header', origin: HTTPS_ORIGIN }), {
      userId: '6f1c2a7e-9b3d-4c5e-8f21-0a9b8c7d6e5f',
    })
    const login = await sessions.create(loginRequest({ origin: HTTPS_ORIGIN }), { userId: 'alice' })
    const loginCookies = setCookieBytes(login.headers)
    const refreshResponse = await sessions.handle(
      new Request(`${HTTPS_ORIGIN}${sessions.basePath}/refresh`, {
        method: 'POST',
        headers: {
          cookie: cookieHeaderFor(login.headers, `${sessions.basePath}/refresh`),
          'x-latch-csrf': '1',
        },
      }),
    )
    if (refreshResponse?.status !== 200)
      throw new Error(`cookie-mode refresh answered ${refreshResponse?.status}`)
    await refreshResponse.arrayBuffer()
    const refreshCookies = setCookieBytes(refreshResponse.headers)
    // Where the bytes go (lengths only: the token itself is never printed).
    const [h, p, sig] = header.accessToken.split('.')
    const fields = (part) =>
      Object.fromEntries(
        Object.entries(JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))).map(([k, v]) => [
          k,
          JSON.stringify(v).length,
        ]),
      )
    return {
      accessTokenParts: {
        header: h.length,
        payload: p.length,
        signature: sig.length,
        headerFields: fields(h),
        payloadFields: fields(p),
      },
      accessToken: Buffer.byteLength(header.accessToken),
      accessTokenWithClaims: Buffer.byteLength(withClaims.accessToken),
      accessTokenUuidSub: Buffer.byteLength(uuid.accessToken),
      refreshToken: Buffer.byteLength(header.refreshToken),
      frontTokenHeader: Buffer.byteLength(login.headers.get('x-latch-front-token') ?? ''),
      login: loginCookies,
      refresh: refreshCookies,
      apiCookieHeader: Buffer.byteLength(`Cookie: ${cookieHeaderFor(login.headers, '/api/me')}\r\n`),
      userId: 'alice',
    }
  } finally {
    await latch.close()
  }
}

async function bundleSizes() {
  const externalReact = ['react', 'react-dom', 'react/jsx-runtime', 'react/jsx-dev-runtime']
  const measure = async (source, options) => {
    try {
      return await bundleSize(source, options)
    } catch (err) {
      return { error: String(err?.message ?? err).split('\n', 1)[0] }
    }
  }
  return {
    clientMinimal: await measure("export { createSessionClient } from '@latch/client'"),
    // The same import from the TypeScript sources, to attribute the bytes to modules.
    clientMinimalBySource: await measure(
      `export { createSessionClient } from ${JSON.stringify(fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url)))}`,
      { breakdown: true },
    ),
    clientAll: await measure("export * from '@latch/client'"),
    react: await measure("export * from '@latch/react'", { external: [...externalReact, '@latch/client'] }),
    reactWithClient: await measure(
      "export * from '@latch/react'\nexport { createSessionClient } from '@latch/client'",
      {
        external: externalReact,
      },
    ),
  }
}

runAsChild(async () => ({ tokens: await tokenSizes(), bundles: await bundleSizes() }))
