/**
 * Two demo servers for split deployments: one serves the SPA (`LATCH_API_BASE`,
 * `LATCH_TRANSPORT`), the other the API (`LATCH_CORS_ORIGINS`). Each must know the other's
 * origin before it starts, so the ports are chosen first.
 */
import { freePort } from '../harness'
import { type DemoServer, startDemoServer } from './demoServer'

export interface SplitDeployment {
  /** The origin the pages are opened on, e.g. `http://app.latch.localhost:P1`. */
  appUrl: string
  /** The API's origin as the pages call it, e.g. `http://api.latch.localhost:P2`. */
  apiUrl: string
  /** The API server (its stats count the refreshes). */
  api: DemoServer
  spa: DemoServer
  stop(): Promise<void>
}

/**
 * Starts the pair. `appHost` / `apiHost` are names Chromium resolves to loopback (`*.localhost`,
 * `127.0.0.1`); the servers listen on 127.0.0.1 either way.
 */
export async function startSplitDeployment(options: {
  appHost: string
  apiHost: string
  transport: 'cookie' | 'header'
  apiEnv?: Record<string, string>
}): Promise<SplitDeployment> {
  const [appPort, apiPort] = [await freePort(), await freePort()]
  const appUrl = `http://${options.appHost}:${appPort}`
  const apiUrl = `http://${options.apiHost}:${apiPort}`
  const api = await startDemoServer({
    port: apiPort,
    env: { LATCH_CORS_ORIGINS: appUrl, LATCH_CLOCK_TOLERANCE: '0s', ...options.apiEnv },
  })
  const spa = await startDemoServer({
    port: appPort,
    env: { LATCH_API_BASE: apiUrl, LATCH_TRANSPORT: options.transport },
  }).catch(async (error) => {
    await api.stop()
    throw error
  })
  return {
    appUrl,
    apiUrl,
    api,
    spa,
    async stop() {
      await Promise.all([api.stop(), spa.stop()])
    },
  }
}
