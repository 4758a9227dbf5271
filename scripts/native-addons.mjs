// Test plumbing for the extra Node legs of scripts/test.sh (loaded with `node --import`): the
// better-sqlite3 addon in node_modules is compiled for Node 20's ABI, and a second build per Node
// version lives in a cache directory ($LATCH_NATIVE_ADDONS, set by scripts/test.sh). Every
// native addon is opened through process.dlopen, so swapping the file name there sends both
// `import 'better-sqlite3'` and require() to the build for the running Node, without touching
// node_modules or the library.
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'

const dir = process.env.LATCH_NATIVE_ADDONS
if (dir) {
  const dlopen = process.dlopen
  process.dlopen = function (module, filename, ...rest) {
    const replacement = join(dir, basename(filename))
    return dlopen.call(this, module, existsSync(replacement) ? replacement : filename, ...rest)
  }
}
