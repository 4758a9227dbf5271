#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine (pnpm, node modules, Redis, PostgreSQL,
# Chromium, and Node 22 and 24 for the extra legs) and runs every test: unit, store conformance
# against real servers, multi-instance, express, React 19 and 18.3, and browser end-to-end on
# the machine's Node; then the unit and store tests again on Node 22 and on Node 24. The test
# setup starts and stops the servers it uses.
#
# LATCH_NODE_LEGS: the extra Node majors (default "22 24"; empty: none). LATCH_CACHE: where the
# extra Nodes and their better-sqlite3 builds are kept between runs (default ~/.cache/latch).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/node-legs.sh

ensure_pnpm
ensure_debian_packages
ensure_node_modules

echo "› build"
pnpm run -s build
echo "› lint"
pnpm exec biome ci --colors=off --reporter=summary .
# No import in a package's src may run back up a layer (see the script's first comment).
node scripts/check-imports.mjs
echo "› typecheck"
pnpm run -s typecheck
echo "› packages (publint, attw)"
status=0
bash scripts/check-packages.sh || status=1

mkdir -p .tmp
reports=()
seconds() { date +%s; }
main_version="$(node -v)"
echo "› test (node $main_version: everything)"
rm -f .tmp/test-results*.json
if ! NODE_OPTIONS="--import $PWD/scripts/node20-polyfills.mjs" pnpm exec vitest run \
  --reporter=default --reporter=json --outputFile=.tmp/test-results.json; then
  # A browser file whose every failure is its browser going away runs once more (listed in the
  # summary); any other failure stands.
  NODE_OPTIONS="--import $PWD/scripts/node20-polyfills.mjs" \
    node scripts/rerun-browser-crashes.mjs .tmp/test-results.json || status=1
fi
reports+=("node $main_version=.tmp/test-results.json")

# The extra legs: the unit and store tests (server with its real Redis and PostgreSQL, client,
# React 19 and 18.3, demo units). The browser and multi-instance tests stay on the main leg.
for major in ${LATCH_NODE_LEGS-22 24}; do
  started=$(seconds)
  if ! ensure_node_leg "$major"; then
    echo "Node $major could not be set up" >&2
    reports+=("node $major=.tmp/missing-report-node$major.json")
    status=1
    continue
  fi
  version="$("$LEG_NODE_BIN/node" -v)"
  echo "› test (node $version: unit and store tests)"
  report=".tmp/test-results-node$major.json"
  PATH="$LEG_NODE_BIN:$PATH" LATCH_NATIVE_ADDONS="$LEG_ADDON_DIR" \
    NODE_OPTIONS="--import $PWD/scripts/native-addons.mjs" \
    pnpm exec vitest run --project server --project client --project react --project react18 --project demo \
    --exclude '**/multiInstance.test.ts' --exclude '**/node_modules/**' \
    --reporter=default --reporter=json --outputFile="$report" || status=1
  reports+=("node $version=$report")
  echo "  node $version leg: $(($(seconds) - started)) s (setup included)"
done

node scripts/summary.mjs "${reports[@]}" || status=1
exit $status
