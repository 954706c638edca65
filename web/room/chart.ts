import { t, type Lang } from '../i18n'

export interface MinuteSample { t: number, waiting_max: number, active_max: number, acquired: number, wait_avg_ms: number, wait_max_ms: number }

const NS = 'http://www.w3.org/2000/svg'
const W = 600
const H = 160
const PAD = 28

function svg<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  if (text !== undefined) node.textContent = text
  return node
}

/**
 * The last hour as a small SVG: a bar per minute for the most runs waiting at once, and a
 * line for the mean wait of the slots granted in that minute (seconds, its own scale).
 * Colours come from the style sheet (classes), not from attributes.
 */
export function drawChart (minutes: MinuteSample[], lang: Lang, now = Date.now()): SVGSVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('chartLabel', lang), class: 'chart' })
  root.append(svg('title', {}, t('chartLabel', lang)))
  const plotW = W - PAD * 2
  const plotH = H - PAD * 2
  root.append(svg('line', { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, class: 'axis' }))
  if (minutes.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'label' }, t('chartEmpty', lang)))
    return root
  }
  const start = now - (now % 60_000) - 59 * 60_000
  const x = (ms: number): number => PAD + ((ms - start) / 60_000) * (plotW / 60)
  const maxWaiting = Math.max(1, ...minutes.map((m) => m.waiting_max))
  const maxWait = Math.max(1, ...minutes.map((m) => m.wait_avg_ms / 1000))
  const barW = Math.max(2, plotW / 60 - 2)
  for (const m of minutes) {
    const h = (m.waiting_max / maxWaiting) * plotH
    const bar = svg('rect', { x: x(m.t), y: H - PAD - h, width: barW, height: h, class: 'bar' })
    bar.append(svg('title', {}, `${new Date(m.t).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })}: ${m.waiting_max} · ${(m.wait_avg_ms / 1000).toFixed(1)} s`))
    root.append(bar)
  }
  const points = minutes.map((m) => `${x(m.t) + barW / 2},${H - PAD - (m.wait_avg_ms / 1000 / maxWait) * plotH}`).join(' ')
  root.append(svg('polyline', { points, class: 'line' }))
  root.append(svg('text', { x: PAD, y: PAD - 8, class: 'label bar-label' }, `${t('chartWaiting', lang)}: ${maxWaiting}`))
  root.append(svg('text', { x: W - PAD, y: PAD - 8, 'text-anchor': 'end', class: 'label line-label' }, `${t('chartWait', lang)}: ${maxWait.toFixed(1)}`))
  root.append(svg('text', { x: PAD, y: H - 8, class: 'label' }, t('chartAgo', lang)))
  root.append(svg('text', { x: W - PAD, y: H - 8, 'text-anchor': 'end', class: 'label' }, t('chartNow', lang)))
  return root
}
