#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine (pnpm, node modules, Redis, PostgreSQL,
# Chromium) and runs every test: unit, store conformance against real servers, multi-instance,
# express, and browser end-to-end. The test setup starts and stops the servers it uses.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

ensure_pnpm
ensure_debian_packages
ensure_node_modules

echo "› build"
pnpm run -s build
echo "› lint"
pnpm exec biome ci --colors=off --reporter=summary .
echo "› typecheck"
pnpm run -s typecheck

echo "› test"
mkdir -p .tmp
status=0
NODE_OPTIONS="--import $PWD/scripts/node20-polyfills.mjs" pnpm exec vitest run --reporter=default --reporter=json --outputFile=.tmp/test-results.json || status=$?
node scripts/summary.mjs .tmp/test-results.json || status=$?
exit $status
