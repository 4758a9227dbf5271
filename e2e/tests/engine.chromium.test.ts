/** The cross-tab suite (src/crossTabSuite.ts) in chromium. */
import { crossTabSuite } from '../src/crossTabSuite'
import { chromiumEngine } from '../src/engines/chromium'

crossTabSuite(() => chromiumEngine({ bfcache: true }), { bfcache: true })
