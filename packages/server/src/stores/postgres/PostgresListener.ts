import pg from 'pg'
import type { RevocationHub } from '../RevocationHub.js'

/**
 * The LISTEN side of the Postgres store: one dedicated connection (a pooled one could be handed
 * to a query and lose the LISTEN), reconnected with backoff when it drops. After every
 * reconnection the hub's subscribers are told to resync, because NOTIFYs sent meanwhile are gone.
 */
export class PostgresListener {
  readonly #config: pg.ClientConfig
  readonly #channel: string
  readonly #hub: RevocationHub
  #client: pg.Client | null = null
  #started: Promise<void> | null = null
  #timer: ReturnType<typeof setTimeout> | null = null
  #delayMs = 100
  #stopped = false

  constructor(config: pg.ClientConfig, channel: string, hub: RevocationHub) {
    this.#config = config
    this.#channel = channel
    this.#hub = hub
  }

  /** Connects and listens (once; later calls share the first). Rejects if the first connect fails. */
  start(): Promise<void> {
    this.#started ??= this.#connect(false).catch((error) => {
      this.#started = null
      throw error
    })
    return this.#started
  }

  async #connect(isReconnect: boolean): Promise<void> {
    const client = new pg.Client(this.#config)
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload) this.#hub.publishJson(message.payload)
    })
    try {
      await client.connect()
      await client.query(`LISTEN "${this.#channel}"`)
    } catch (error) {
      client.removeAllListeners('end')
      client.end().catch(() => {})
      throw error
    }
    if (this.#stopped) {
      await client.end().catch(() => {})
      return
    }
    this.#client = client
    this.#delayMs = 100
    if (isReconnect) this.#hub.resync()
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#stopped) return
    this.#client = null
    client.end().catch(() => {})
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#connect(true).catch(() => {
        this.#delayMs = Math.min(this.#delayMs * 2, 5000)
        this.#scheduleReconnect()
      })
    }, this.#delayMs)
    this.#timer.unref?.()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const client = this.#client
    this.#client = null
    await client?.end().catch(() => {})
  }
}
