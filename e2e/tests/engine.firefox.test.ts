/** The cross-tab suite (src/crossTabSuite.ts) and the clock cases (src/clockSkewCases.ts) in firefox. */
import { clockSkewCases } from '../src/clockSkewCases'
import { crossTabSuite } from '../src/crossTabSuite'
import { firefoxEngine } from '../src/engines/firefox'

crossTabSuite(() => firefoxEngine(), { bfcache: true })
clockSkewCases(() => firefoxEngine())
