/** The cross-tab suite (src/crossTabSuite.ts) and the clock cases (src/clockSkewCases.ts) in chromium. */
import { clockSkewCases } from '../src/clockSkewCases'
import { crossTabSuite } from '../src/crossTabSuite'
import { chromiumEngine } from '../src/engines/chromium'

crossTabSuite(() => chromiumEngine({ bfcache: true }), { bfcache: true })
clockSkewCases(() => chromiumEngine())
