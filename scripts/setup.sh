# Sourced by scripts/test.sh and scripts/demo.sh: brings a fresh machine with only Node 20 and
# npm to a state where the workspace builds. Idempotent: every step is skipped when done.

# better-sqlite3 builds from source here (prebuilt binaries cannot be downloaded); point
# node-gyp at the Node headers the machine ships instead of letting it download them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version)" = "12.4.2" ]; then return; fi
  echo "› installing pnpm 12.4.2"
  # Pinned: corepack's signature check fails on some machines.
  npm i -g pnpm@12.4.2 >/dev/null
}

# Debian packages the tests need: Redis and PostgreSQL servers, Chromium for browser tests.
ensure_debian_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # Debian's PyJWT for the interop tests, importable by the system interpreter only.
  /usr/bin/python3 -c 'import jwt, cryptography' >/dev/null 2>&1 || missing+=(python3-jwt python3-cryptography)
  command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
  [ ${#missing[@]} -eq 0 ] && return
  echo "› installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_node_modules() {
  echo "› installing node modules"
  pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 5
}
