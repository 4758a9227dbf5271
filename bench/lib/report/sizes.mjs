// BENCHMARKS.md section: token and header sizes.
import { bytes, verdict } from '../stats.mjs'
import { ACCESS_TOKEN_LIMIT, CLIENT_LIMIT, pct, sectionError, table } from './shared.mjs'

export function sizesSection(r) {
  const s = r.sections.sizes
  if (!s) return sectionError(r, 'sizes')
  const t = s.tokens
  const b = s.bundles
  const bundleRow = (label, m, limit) => [
    label,
    m?.error ? `failed: ${m.error}` : `${bytes(m?.gzip)} (min ${bytes(m?.minified)})`,
    limit ? `≤ ${bytes(limit)}` : '',
    limit ? verdict(m?.gzip, limit, 'lower', (v) => bytes(v)) : '',
  ]
  const rows = [
    [
      'access token, no custom claims (`sub` = `alice`)',
      `${t.accessToken} B`,
      `≤ ${ACCESS_TOKEN_LIMIT} B`,
      verdict(t.accessToken, ACCESS_TOKEN_LIMIT, 'lower', (v) => `${v} B`),
    ],
    [
      'access token, `sub` = a UUID',
      `${t.accessTokenUuidSub} B`,
      `≤ ${ACCESS_TOKEN_LIMIT} B`,
      verdict(t.accessTokenUuidSub, ACCESS_TOKEN_LIMIT, 'lower', (v) => `${v} B`),
    ],
    ['access token, 2 custom claims (`role`, `org`)', `${t.accessTokenWithClaims} B`, '', ''],
    ['refresh token', `${t.refreshToken} B`, '', ''],
    [
      `all \`Set-Cookie\` lines of a login (HTTPS: ${t.login.cookies.map((c) => `\`${c.name}\` ${c.bytes} B`).join(', ')})`,
      `${t.login.total} B`,
      '',
      '',
    ],
    [
      `all \`Set-Cookie\` lines of a refresh (${t.refresh.cookies.map((c) => `\`${c.name}\` ${c.bytes} B`).join(', ')})`,
      `${t.refresh.total} B`,
      '',
      '',
    ],
    ['`Cookie` request header on every API call (access + front cookies)', `${t.apiCookieHeader} B`, '', ''],
    bundleRow("client: `import { createSessionClient } from '@latch/client'`", b.clientMinimal, CLIENT_LIMIT),
    bundleRow('client: everything exported', b.clientAll),
    bundleRow('React package alone (`@latch/client` and React external)', b.react),
    bundleRow('React package + `createSessionClient`', b.reactWithClient),
  ]
  const out = [
    '## 4. Sizes',
    '',
    'Token and cookie sizes from the real manager (production form: HTTPS origin, `__Host-`/`__Secure-` names); *Set-Cookie bytes* ' +
      'count each header line as sent, `Set-Cookie: …\\r\\n`. Bundle sizes: esbuild bundle + minify (browser, ES2022, tree-shaken) of the ' +
      'built package, then gzip -9.',
    '',
    table(['what', 'bytes', 'limit', 'verdict'], rows),
  ]
  const parts = t.accessTokenParts
  if (parts) {
    const list = (o) =>
      Object.entries(o)
        .map(([k, v]) => `\`${k}\` ${v}`)
        .join(', ')
    out.push(
      '',
      `Access token anatomy (base64url characters): header ${parts.header} (JSON value lengths: ${list(parts.headerFields)}), ` +
        `payload ${parts.payload} (${list(parts.payloadFields)}), signature ${parts.signature}. ` +
        'Every character of a JSON value costs 4/3 of a character in the token.',
    )
  }
  const modules = b.clientMinimalBySource?.modules
  if (modules?.length) {
    const total = modules.reduce((a, m) => a + m.bytes, 0)
    out.push(
      '',
      `What the minimal client import pulls in (minified bytes per source module, ${bytes(total)} in all):`,
      '',
      table(
        ['module', 'minified'],
        modules.slice(0, 10).map((m) => [`\`${m.file}\``, `${bytes(m.bytes)} (${pct(m.bytes / total)})`]),
      ),
    )
  }
  return out.join('\n')
}
