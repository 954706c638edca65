/**
 * A SMALL BUILT-IN SUBSET OF p5.js, NOT THE p5.js LIBRARY. The `p5` npm package is not
 * installed in this project, and the page may load nothing from a CDN, so this runs the
 * common drawing calls of simple sketches (shapes, colours, transforms, text, random and
 * noise, the frame loop, mouse and key hooks) in global mode on a 2D canvas. Sketches that
 * use more of p5.js show a short error inside the frame. Replace with the real library when
 * `p5` is added as a dependency (see README).
 */
type Rgba = [number, number, number, number]
type Globals = Record<string, unknown>

export function installP5Subset (g: Globals, host: HTMLElement): { start: () => void } {
  let canvas: HTMLCanvasElement | undefined
  let ctx: CanvasRenderingContext2D | undefined
  let doFill = true
  let doStroke = true
  let mode: 'rgb' | 'hsb' = 'rgb'
  let maxes = [255, 255, 255, 255]
  let rectMode = 'corner'
  let ellipseMode = 'center'
  let degrees = false
  let looping = true
  let fps = 60
  let shape: Array<[number, number]> = []
  const started = performance.now()

  const need = (): CanvasRenderingContext2D => {
    if (ctx === undefined) (g.createCanvas as (w: number, h: number) => void)(100, 100)
    return ctx as CanvasRenderingContext2D
  }
  const angle = (a: number): number => degrees ? a * Math.PI / 180 : a

  function hsb (h: number, s: number, v: number): [number, number, number] {
    const f = (n: number): number => { const k = (n + h / 60) % 6; return v - v * s * Math.max(0, Math.min(k, 4 - k, 1)) }
    return [f(5) * 255, f(3) * 255, f(1) * 255]
  }
  function toRgba (args: unknown[]): Rgba {
    const [a, b, c, d] = args
    if (typeof a === 'object' && a !== null && 'rgba' in a) return (a as { rgba: Rgba }).rgba
    if (Array.isArray(a)) return toRgba(a)
    if (typeof a === 'string') {
      const probe = need()
      probe.save(); probe.fillStyle = a; const css = String(probe.fillStyle); probe.restore()
      const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css)
      if (m !== null) return [parseInt(m[1] as string, 16), parseInt(m[2] as string, 16), parseInt(m[3] as string, 16), 1]
      const r = /rgba?\(([^)]+)\)/.exec(css)
      const p = (r?.[1] ?? '0,0,0').split(',').map(Number)
      return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1]
    }
    const n = args.map(Number)
    const alpha = (x: number | undefined): number => x === undefined ? 1 : x / (maxes[3] as number)
    if (args.length <= 2) { const v = (n[0] ?? 0) / (mode === 'rgb' ? (maxes[0] as number) / 255 : (maxes[2] as number) / 255); return [v, v, v, alpha(args.length === 2 ? n[1] : undefined)] }
    if (mode === 'hsb') {
      const [r, gg, bb] = hsb(((Number(a) / (maxes[0] as number)) * 360) % 360, Number(b) / (maxes[1] as number), Number(c) / (maxes[2] as number))
      return [r, gg, bb, alpha(d === undefined ? undefined : Number(d))]
    }
    return [Number(a) * 255 / (maxes[0] as number), Number(b) * 255 / (maxes[1] as number), Number(c) * 255 / (maxes[2] as number), alpha(d === undefined ? undefined : Number(d))]
  }
  const css = (c: Rgba): string => `rgba(${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])},${c[3]})`
  function paint (path: () => void): void {
    const x = need()
    x.beginPath(); path()
    if (doFill) x.fill()
    if (doStroke) x.stroke()
  }

  // Value noise, enough for gentle wandering movement.
  const perm = Array.from({ length: 512 }, (_v, i) => (i * 1103515245 + 12345) & 255)
  const grid = (i: number, j: number): number => (perm[(perm[i & 255] as number) + (j & 255)] as number) / 255
  const smooth = (t: number): number => t * t * (3 - 2 * t)
  function noise (x: number, y = 0): number {
    const xi = Math.floor(x); const yi = Math.floor(y); const xf = smooth(x - xi); const yf = smooth(y - yi)
    const top = grid(xi, yi) + (grid(xi + 1, yi) - grid(xi, yi)) * xf
    const bottom = grid(xi, yi + 1) + (grid(xi + 1, yi + 1) - grid(xi, yi + 1)) * xf
    return top + (bottom - top) * yf
  }

  Object.assign(g, {
    PI: Math.PI,
    TWO_PI: Math.PI * 2,
    HALF_PI: Math.PI / 2,
    QUARTER_PI: Math.PI / 4,
    TAU: Math.PI * 2,
    CLOSE: 'close',
    CENTER: 'center',
    CORNER: 'corner',
    CORNERS: 'corners',
    RADIUS: 'radius',
    LEFT: 'left',
    RIGHT: 'right',
    TOP: 'top',
    BOTTOM: 'bottom',
    BASELINE: 'alphabetic',
    RGB: 'rgb',
    HSB: 'hsb',
    DEGREES: 'degrees',
    RADIANS: 'radians',
    width: 100,
    height: 100,
    frameCount: 0,
    mouseX: 0,
    mouseY: 0,
    pmouseX: 0,
    pmouseY: 0,
    mouseIsPressed: false,
    key: '',
    keyCode: 0,
    sin: Math.sin,
    cos: Math.cos,
    tan: Math.tan,
    atan: Math.atan,
    atan2: Math.atan2,
    abs: Math.abs,
    floor: Math.floor,
    ceil: Math.ceil,
    round: Math.round,
    sqrt: Math.sqrt,
    pow: Math.pow,
    exp: Math.exp,
    log: Math.log,
    min: Math.min,
    max: Math.max,
    sq: (x: number) => x * x,
    radians: (d: number) => d * Math.PI / 180,
    degrees: (r: number) => r * 180 / Math.PI,
    map: (v: number, a: number, b: number, c: number, d: number) => c + (d - c) * ((v - a) / (b - a)),
    constrain: (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v)),
    lerp: (a: number, b: number, t: number) => a + (b - a) * t,
    dist: (x1: number, y1: number, x2: number, y2: number) => Math.hypot(x2 - x1, y2 - y1),
    random: (a?: unknown, b?: number) => {
      if (Array.isArray(a)) return a[Math.floor(Math.random() * a.length)]
      if (a === undefined) return Math.random()
      if (b === undefined) return Math.random() * Number(a)
      return Number(a) + Math.random() * (b - Number(a))
    },
    noise,
    millis: () => performance.now() - started,
    createCanvas: (w: number, h: number) => {
      canvas?.remove()
      canvas = document.createElement('canvas')
      canvas.width = w; canvas.height = h
      host.append(canvas)
      ctx = canvas.getContext('2d') as CanvasRenderingContext2D
      ctx.fillStyle = '#fff'; ctx.strokeStyle = '#000'
      g.width = w; g.height = h
      canvas.addEventListener('pointermove', (e) => { g.pmouseX = g.mouseX; g.pmouseY = g.mouseY; g.mouseX = e.offsetX; g.mouseY = e.offsetY })
      canvas.addEventListener('pointerdown', () => { g.mouseIsPressed = true; (g.mousePressed as (() => void) | undefined)?.() })
      canvas.addEventListener('pointerup', () => { g.mouseIsPressed = false; (g.mouseReleased as (() => void) | undefined)?.() })
      return canvas
    },
    resizeCanvas: (w: number, h: number) => { if (canvas !== undefined) { canvas.width = w; canvas.height = h; g.width = w; g.height = h } },
    frameRate: (n?: number) => { if (n !== undefined) fps = Math.max(1, Math.min(60, n)); return fps },
    noLoop: () => { looping = false },
    loop: () => { looping = true },
    colorMode: (m: string, ...mx: number[]) => {
      mode = m === 'hsb' ? 'hsb' : 'rgb'
      maxes = mode === 'hsb' ? [360, 100, 100, 1] : [255, 255, 255, 255]
      if (mx.length === 1) maxes = [mx[0] as number, mx[0] as number, mx[0] as number, mx[0] as number]
      if (mx.length >= 3) maxes = [mx[0] as number, mx[1] as number, mx[2] as number, mx[3] ?? (maxes[3] as number)]
    },
    angleMode: (m: string) => { degrees = m === 'degrees' },
    rectMode: (m: string) => { rectMode = m },
    ellipseMode: (m: string) => { ellipseMode = m },
    color: (...args: unknown[]) => { const rgba = toRgba(args); return { rgba, toString: () => css(rgba) } },
    lerpColor: (a: { rgba: Rgba }, b: { rgba: Rgba }, t: number) => { const rgba = a.rgba.map((v, i) => v + ((b.rgba[i] as number) - v) * t) as Rgba; return { rgba, toString: () => css(rgba) } },
    background: (...args: unknown[]) => { const x = need(); x.save(); x.setTransform(1, 0, 0, 1, 0, 0); x.fillStyle = css(toRgba(args)); x.fillRect(0, 0, x.canvas.width, x.canvas.height); x.restore() },
    clear: () => { const x = need(); x.save(); x.setTransform(1, 0, 0, 1, 0, 0); x.clearRect(0, 0, x.canvas.width, x.canvas.height); x.restore() },
    fill: (...args: unknown[]) => { doFill = true; need().fillStyle = css(toRgba(args)) },
    noFill: () => { doFill = false },
    stroke: (...args: unknown[]) => { doStroke = true; need().strokeStyle = css(toRgba(args)) },
    noStroke: () => { doStroke = false },
    strokeWeight: (w: number) => { need().lineWidth = w },
    push: () => need().save(),
    pop: () => need().restore(),
    translate: (x: number, y: number) => need().translate(x, y),
    rotate: (a: number) => need().rotate(angle(a)),
    scale: (x: number, y?: number) => need().scale(x, y ?? x),
    rect: (x: number, y: number, w: number, h?: number) => {
      const hh = h ?? w
      const [rx, ry] = rectMode === 'center' ? [x - w / 2, y - hh / 2] : [x, y]
      paint(() => need().rect(rx, ry, rectMode === 'corners' ? w - x : w, rectMode === 'corners' ? hh - y : hh))
    },
    square: (x: number, y: number, s: number) => (g.rect as (a: number, b: number, c: number, d: number) => void)(x, y, s, s),
    ellipse: (x: number, y: number, w: number, h?: number) => {
      const hh = h ?? w
      const [cx, cy] = ellipseMode === 'corner' ? [x + w / 2, y + hh / 2] : [x, y]
      paint(() => need().ellipse(cx, cy, Math.abs(w / 2), Math.abs(hh / 2), 0, 0, Math.PI * 2))
    },
    circle: (x: number, y: number, d: number) => (g.ellipse as (a: number, b: number, c: number) => void)(x, y, d),
    arc: (x: number, y: number, w: number, h: number, a: number, b: number) => paint(() => { const c = need(); c.moveTo(x, y); c.ellipse(x, y, w / 2, h / 2, 0, angle(a), angle(b)) }),
    line: (x1: number, y1: number, x2: number, y2: number) => { const c = need(); c.beginPath(); c.moveTo(x1, y1); c.lineTo(x2, y2); if (doStroke) c.stroke() },
    point: (x: number, y: number) => { const c = need(); c.save(); c.fillStyle = c.strokeStyle; c.fillRect(x - c.lineWidth / 2, y - c.lineWidth / 2, Math.max(1, c.lineWidth), Math.max(1, c.lineWidth)); c.restore() },
    triangle: (...p: number[]) => paint(() => { const c = need(); c.moveTo(p[0] as number, p[1] as number); c.lineTo(p[2] as number, p[3] as number); c.lineTo(p[4] as number, p[5] as number); c.closePath() }),
    quad: (...p: number[]) => paint(() => { const c = need(); c.moveTo(p[0] as number, p[1] as number); for (let i = 2; i < 8; i += 2) c.lineTo(p[i] as number, p[i + 1] as number); c.closePath() }),
    beginShape: () => { shape = [] },
    vertex: (x: number, y: number) => { shape.push([x, y]) },
    endShape: (close?: string) => paint(() => { const c = need(); shape.forEach(([x, y], i) => i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)); if (close === 'close') c.closePath() }),
    textSize: (s: number) => { const c = need(); c.font = `${s}px sans-serif` },
    textAlign: (h: string, v?: string) => { const c = need(); c.textAlign = h as CanvasTextAlign; if (v !== undefined) c.textBaseline = (v === 'center' ? 'middle' : v) as CanvasTextBaseline },
    text: (s: unknown, x: number, y: number) => { const c = need(); if (doFill) c.fillText(String(s), x, y); if (doStroke && c.lineWidth > 1) c.strokeText(String(s), x, y) }
  })

  let last = 0
  function frame (now: number): void {
    requestAnimationFrame(frame)
    if (!looping || typeof g.draw !== 'function' || now - last < 1000 / fps - 2) return
    last = now
    g.frameCount = (g.frameCount as number) + 1
    need().save()
    try { (g.draw as () => void)() } finally { need().restore() }
  }
  return {
    start: () => {
      if (typeof g.setup === 'function') (g.setup as () => void)()
      if (canvas === undefined) (g.createCanvas as (w: number, h: number) => void)(100, 100)
      requestAnimationFrame(frame)
    }
  }
}
