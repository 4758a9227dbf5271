import { describe, expect, it, vi } from 'vitest'

describe('test services setup', () => {
  it('fails loudly, with the install command, when a server binary is missing', async () => {
    vi.stubEnv('REDIS_URL', '')
    vi.stubEnv('DATABASE_URL', 'postgres://unused')
    vi.stubEnv('LATCH_REDIS_SERVER', '/nonexistent/redis-server')
    vi.resetModules()
    const { default: setup } = await import('./services.js')
    const provide = vi.fn()
    await expect(setup({ provide } as never)).rejects.toThrow(/apt-get install -y redis-server postgresql-15/)
    expect(provide).not.toHaveBeenCalled()
    vi.unstubAllEnvs()
  })
})
