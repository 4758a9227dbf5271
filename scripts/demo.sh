#!/usr/bin/env bash
# Installs (unless --no-install), builds the packages and the SPA when a source changed since the
# last build, and serves the demo on http://localhost:${PORT:-3000}. Configuration: see
# demo/README.md.
#
# Several of these may start at once from one checkout (PORT=3001 …, PORT=3002 …): the build runs
# under the lock the e2e tests use (demo/.build-lock), and only when a source is newer than the
# last build (demo/dist/.build-stamp), so a second instance waits for the first one's build and
# then finds it up to date, instead of cleaning dist/ while the first one starts.
# The script ends by exec'ing the server: its process id is the server's, so stopping it stops
# the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ "${1:-}" != "--no-install" ]; then
  ensure_pnpm
  ensure_node_modules
fi

LOCK=demo/.build-lock
STAMP=demo/dist/.build-stamp
# A lock older than this was left by a killed build (the e2e setup uses the same age).
STALE_LOCK_MINUTES=5

up_to_date() {
  local output
  for output in packages/server/dist/index.js packages/client/dist/index.js packages/react/dist/index.js \
    demo/dist/server/main.js demo/dist/public/index.html "$STAMP"; do
    [ -f "$output" ] || return 1
  done
  # Any source (not a test) newer than the stamp means a rebuild.
  [ -z "$(find packages/server/src packages/client/src packages/react/src packages/*/package.json \
    packages/*/tsup.config.ts demo/src demo/server demo/public demo/index.html demo/vite.config.ts \
    demo/tsup.config.ts demo/package.json pnpm-lock.yaml \
    -newer "$STAMP" -type f ! -name '*.test.ts' ! -name '*.test.tsx' ! -name '*.test-d.ts' \
    -print -quit 2>/dev/null)" ]
}

release_lock() { rmdir "$LOCK" 2>/dev/null || true; }

acquire_lock() {
  local said=''
  until mkdir "$LOCK" 2>/dev/null; do
    if [ -n "$(find "$LOCK" -maxdepth 0 -mmin +"$STALE_LOCK_MINUTES" 2>/dev/null)" ]; then
      echo "› removing a stale build lock ($LOCK)"
      rmdir "$LOCK" 2>/dev/null || true
      continue
    fi
    [ -n "$said" ] || echo "› waiting for another build of this checkout to finish"
    said=1
    sleep 0.5
  done
  trap release_lock EXIT
  trap 'release_lock; exit 130' INT
  trap 'release_lock; exit 143' TERM
}

if up_to_date; then
  echo "› build up to date"
else
  acquire_lock
  if up_to_date; then
    echo "› build up to date (built by another instance)"
  else
    echo "› build"
    pnpm run -s build
    # NODE_ENV=test (from a test runner) would make Vite bundle React's development build.
    NODE_ENV=production pnpm --filter ./demo run -s build
    date -u +%FT%TZ >"$STAMP"
  fi
  release_lock
  trap - EXIT INT TERM
fi

cd demo
exec node dist/server/main.js
