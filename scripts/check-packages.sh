#!/usr/bin/env bash
# Lints what each published package would ship, from the builds in packages/*/dist:
#   publint --strict  (package.json fields, exports, files)
#   attw --pack       (@arethetypeswrong/cli: types resolve for every entry under node10,
#                      node16 from CJS and from ESM, and bundler; the default strict profile)
#   tsc over the server's built declarations as a Node-only project sees them (lib ES2022, types
#                      node, skipLibCheck false): no DOM-only type may leak into them
# Prints the tools' output and exits non-zero when either reports a problem in any package.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for package in server client react; do
  echo "  · @latch/$package: publint --strict"
  (cd "packages/$package" && pnpm exec publint --strict) || status=1
  echo "  · @latch/$package: attw --pack"
  (cd "packages/$package" && pnpm exec attw --pack . --format table-flipped --no-color) || status=1
done
echo "  · @latch/server: declarations under lib ES2022 + @types/node, skipLibCheck false"
(cd packages/server/test/declarations && pnpm exec tsc -p tsconfig.json) || status=1
exit $status
