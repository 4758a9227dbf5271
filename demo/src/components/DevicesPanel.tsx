import { useCallback, useEffect, useState } from 'react'
import { type Device, listDevices, revokeDevice, revokeOtherDevices } from '../api'
import { deviceDetails, sortDevices } from '../deviceDetails'
import { latch } from '../latch'
import { useNow } from '../useNow'

/** The user's signed-in devices (one per session), with revoke buttons. */
export function DevicesPanel() {
  const [devices, setDevices] = useState<Device[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pending, setPending] = useState<string | null>(null)
  const now = useNow(30_000)

  const load = useCallback(async () => {
    try {
      setDevices(await listDevices())
      setError(null)
    } catch {
      setError('Could not load your devices.')
    }
  }, [])

  useEffect(() => {
    load()
    // "Last active" moves on every refresh; a device signed in elsewhere shows up on focus.
    const off = latch.on('refreshed', () => load())
    const onFocus = () => load()
    window.addEventListener('focus', onFocus)
    return () => {
      off()
      window.removeEventListener('focus', onFocus)
    }
  }, [load])

  const act = async (key: string, action: () => Promise<unknown>) => {
    setPending(key)
    try {
      await action()
    } catch {
      setError('That did not work. Try again.')
    } finally {
      setPending(null)
      await load()
    }
  }

  const others = devices?.filter((device) => !device.current) ?? []

  return (
    <section className="card" aria-labelledby="devices-title">
      <div className="card-head">
        <h2 id="devices-title">Devices</h2>
        <button
          type="button"
          className="button ghost danger"
          disabled={others.length === 0 || pending !== null}
          onClick={() => act('others', revokeOtherDevices)}
        >
          Sign out other devices
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <ul className="devices" data-testid="devices">
        {devices &&
          sortDevices(devices).map((device) => {
            const details = deviceDetails(device, now)
            return (
              <li key={device.id} data-session-id={device.id}>
                <span className="device-icon" aria-hidden="true">
                  {device.current ? '●' : '○'}
                </span>
                <div className="device-main">
                  <div className="device-name">
                    {details.name}
                    {device.current ? <span className="badge badge-success">This device</span> : null}
                    {device.bound ? (
                      <span className="badge" data-testid="bound" title="Refresh needs this browser's key">
                        Key-bound
                      </span>
                    ) : null}
                  </div>
                  <div className="muted small">
                    {details.signedIn} · {details.lastActive} · <span className="mono">{details.tag}</span>
                  </div>
                </div>
                {device.current ? null : (
                  <button
                    type="button"
                    className="button ghost danger"
                    disabled={pending !== null}
                    onClick={() => act(device.id, () => revokeDevice(device.id))}
                  >
                    Revoke
                  </button>
                )}
              </li>
            )
          })}
      </ul>
    </section>
  )
}
