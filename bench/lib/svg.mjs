// The charts of BENCHMARKS.md as self-contained SVGs (no fonts or scripts to load).

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

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2']

/**
 * Side-by-side line panels sharing one x axis of categories (evenly spaced, e.g. session counts
 * 1, 1 000, 10 000, 100 000) and a y axis of ratios from 0; dashed lines mark `targets`.
 * `panels`: `[{ title, series: [{ label, highlight, points: [{ x, y }] }] }]`; a missing y breaks the line.
 * `subtitle` may be an array of lines; a target's `dy` moves its label (px) off a neighbour's.
 */
export function lineChart({ title, subtitle, panels, xLabel = String, targets = [] }) {
  const panelWidth = 400
  const gapX = 60
  const left = 56
  const top = 100
  const plotHeight = 260
  const legendTop = top + plotHeight + 48
  const labels = panels[0]?.series.map((s) => s.label) ?? []
  const width = left + panels.length * panelWidth + (panels.length - 1) * gapX + 24
  const height = legendTop + Math.ceil(labels.length / 2) * 22 + 16
  const xs = [...new Set(panels.flatMap((p) => p.series.flatMap((s) => s.points.map((pt) => pt.x))))].sort(
    (a, b) => a - b,
  )
  const ys = panels
    .flatMap((p) => p.series.flatMap((s) => s.points.map((pt) => pt.y)))
    .filter(Number.isFinite)
  const yMax = Math.max(1.1, Math.ceil(Math.max(0, ...ys) * 10) / 10)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${xml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<title>${xml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="600" fill="#111">${xml(title)}</text>`,
    ...[subtitle].flat().map((line, i) => `<text x="16" y="${46 + i * 16}" fill="#555">${xml(line)}</text>`),
  ]
  panels.forEach((panel, p) => {
    const x0 = left + p * (panelWidth + gapX)
    const px = (x) => x0 + 20 + (xs.indexOf(x) / Math.max(1, xs.length - 1)) * (panelWidth - 40)
    const py = (y) => top + plotHeight - (y / yMax) * plotHeight
    out.push(`<text x="${x0}" y="${top - 14}" font-weight="600" fill="#111">${xml(panel.title)}</text>`)
    const step = yMax > 2.2 ? 0.5 : 0.2
    for (let y = 0; y <= yMax + 1e-9; y += step) {
      out.push(
        `<line x1="${x0}" y1="${py(y).toFixed(1)}" x2="${x0 + panelWidth}" y2="${py(y).toFixed(1)}" stroke="#e5e7eb"/>`,
        `<text x="${x0 - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end" fill="#555">${y.toFixed(1)}</text>`,
      )
    }
    for (const x of xs) {
      out.push(
        `<text x="${px(x).toFixed(1)}" y="${top + plotHeight + 18}" text-anchor="middle" fill="#555">${xml(xLabel(x))}</text>`,
      )
    }
    for (const t of targets) {
      out.push(
        `<line x1="${x0}" y1="${py(t.y).toFixed(1)}" x2="${x0 + panelWidth}" y2="${py(t.y).toFixed(1)}" stroke="#9ca3af" stroke-dasharray="5 4"/>`,
        `<text x="${x0 + panelWidth + 4}" y="${(py(t.y) + 4 + (t.dy ?? 0)).toFixed(1)}" fill="#6b7280" font-size="10">${xml(t.label)}</text>`,
      )
    }
    panel.series.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length]
      const pts = s.points.filter((pt) => Number.isFinite(pt.y))
      if (pts.length > 1) {
        const d = pts
          .map((pt, k) => `${k ? 'L' : 'M'}${px(pt.x).toFixed(1)},${py(pt.y).toFixed(1)}`)
          .join(' ')
        out.push(
          `<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.highlight ? 3 : 2}"${s.highlight ? '' : ' stroke-opacity="0.85"'}/>`,
        )
      }
      for (const pt of pts) {
        out.push(
          `<circle cx="${px(pt.x).toFixed(1)}" cy="${py(pt.y).toFixed(1)}" r="${s.highlight ? 4 : 3}" fill="${color}"/>`,
        )
        if (s.highlight)
          out.push(
            `<text x="${px(pt.x).toFixed(1)}" y="${(py(pt.y) - 8).toFixed(1)}" text-anchor="middle" fill="${color}" font-weight="600">${pt.y.toFixed(2)}</text>`,
          )
      }
    })
    out.push(
      `<text x="${x0 + panelWidth / 2}" y="${top + plotHeight + 34}" text-anchor="middle" fill="#555">distinct active sessions</text>`,
    )
  })
  labels.forEach((label, i) => {
    const x = 16 + (i % 2) * 420
    const y = legendTop + Math.floor(i / 2) * 22
    out.push(
      `<rect x="${x}" y="${y - 10}" width="14" height="14" rx="2" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${x + 20}" y="${y + 2}" fill="#111">${xml(label)}</text>`,
    )
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
