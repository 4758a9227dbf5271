/** The cross-tab suite (src/crossTabSuite.ts) in webkit. */
import { crossTabSuite } from '../src/crossTabSuite'
import { webkitEngine } from '../src/engines/webkit'

crossTabSuite(() => webkitEngine(), { bfcache: true })
