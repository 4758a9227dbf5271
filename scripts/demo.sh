#!/usr/bin/env bash
# Installs (unless --no-install), builds the packages and the SPA, and serves the demo on
# http://localhost:${PORT:-3000}. Configuration: see demo/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
if [ "${1:-}" != "--no-install" ]; then
  ensure_pnpm
  ensure_node_modules
fi
echo "› build"
pnpm run -s build
pnpm --filter ./demo run -s build
exec pnpm --filter ./demo run -s start
