// The HTTP section's bar chart as a self-contained SVG (no fonts or scripts to load).

const xml = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

/**
 * Horizontal bars of median req/s, one per variant, each labelled with its ratio to the first
 * (bare) bar; a dashed line marks `targetRatio` × bare.
 * `bars`: `[{ label, value, ratio, highlight }]`.
 */
export function barChart({ title, subtitle, bars, targetRatio, targetLabel, unit = 'req/s' }) {
  const width = 860
  const left = 330
  const right = 150
  const barHeight = 30
  const gap = 14
  const top = 70
  const plotWidth = width - left - right
  const max = Math.max(1, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)))
  const scale = (v) => (Number.isFinite(v) ? (v / max) * plotWidth : 0)
  const height = top + bars.length * (barHeight + gap) + 40
  const out = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${xml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="13">`,
    `<title>${xml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="28" font-size="17" font-weight="600" fill="#111">${xml(title)}</text>`,
    `<text x="16" y="50" fill="#555">${xml(subtitle)}</text>`,
  )
  bars.forEach((bar, i) => {
    const y = top + i * (barHeight + gap)
    const w = scale(bar.value)
    const fill = bar.color ?? (i === 0 ? '#6b7280' : bar.highlight ? '#2563eb' : '#93c5fd')
    out.push(
      `<text x="${left - 10}" y="${y + barHeight / 2 + 4}" text-anchor="end" fill="#111">${xml(bar.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" rx="3" fill="${fill}"/>`,
      `<text x="${left + w + 8}" y="${y + barHeight / 2 + 4}" fill="#111">${xml(
        Number.isFinite(bar.value) ? `${Math.round(bar.value).toLocaleString('en-US')} ${unit}` : 'n/a',
      )}${bar.showRatio && Number.isFinite(bar.ratio) ? `  ×${bar.ratio.toFixed(2)}` : ''}</text>`,
    )
  })
  if (Number.isFinite(targetRatio) && bars.length > 0 && Number.isFinite(bars[0].value)) {
    const x = left + scale(bars[0].value * targetRatio)
    const y2 = top + bars.length * (barHeight + gap) - gap + 6
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${top - 8}" x2="${x.toFixed(1)}" y2="${y2}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="5 4"/>`,
      `<text x="${x.toFixed(1)}" y="${y2 + 16}" text-anchor="middle" fill="#dc2626">${xml(targetLabel ?? `target ${targetRatio} × first bar`)}</text>`,
    )
  }
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
