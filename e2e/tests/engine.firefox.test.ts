/** The cross-tab suite (src/crossTabSuite.ts) in firefox. */
import { crossTabSuite } from '../src/crossTabSuite'
import { firefoxEngine } from '../src/engines/firefox'

crossTabSuite(() => firefoxEngine(), { bfcache: true })
