import t from 'tap'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../helper.js'
import { ensureBuilt, launch, screenshot, skipReason, tablet, watch, WAIT, type PageWatch } from './browser.js'

const skip = skipReason() ?? false
// A browser on a busy two-core machine: a generous bound for the whole file (tap's default is 60 s).
t.setTimeout(300_000)
// The functions given to evaluate() and waitForFunction() run in the page, not in Node.
declare const document: any
const SKETCH = 'function setup() {\n  createCanvas(200, 200)\n}\nfunction draw() {\n  background(20, 40, 90)\n  fill(255, 200, 0)\n  circle(100, 100, 80 + 20 * sin(frameCount * 0.1))\n}'

let s: TestServer
let browser: Browser

t.before(async () => {
  if (skip !== false) return
  await ensureBuilt()
  s = await startServer({ QUEUE_MAX_CONCURRENT: '2' }, {
    // The code sketcher gets a sketch; every other text request the simulator's own reply.
    reply: (req) => /p5\.js/.test(`${req.system ?? ''}\n${req.prompt}`) ? SKETCH : `Eine riesige, leuchtende Szene: ${req.prompt.slice(-40)}`
  })
  browser = await launch()
})
t.teardown(async () => {
  await browser?.close()
  await s?.close()
})

async function openPage (locale = 'de-DE'): Promise<{ page: Page, w: PageWatch }> {
  const context = await tablet(browser, locale)
  const page = await context.newPage()
  const w = watch(page)
  await page.goto(`${s.url}/`)
  return { page, w }
}

/** Picks a config card and runs an idea through Stages 1–2 until the text is complete. */
async function runIdea (page: Page, config: string, idea: string, touch = false): Promise<void> {
  const card = page.locator(`button[data-config="${config}"]`)
  if (touch) await card.tap(WAIT)
  else await card.click(WAIT)
  await page.locator('#idea').fill(idea)
  if (touch) await page.locator('#start').tap()
  else await page.locator('#start').click()
}

t.test('the page, its assets and the sketch frame are served with their types, caching and policies', { skip }, async (t) => {
  const page = await fetch(`${s.url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.equal(page.headers.get('cache-control'), 'no-cache')
  t.match(page.headers.get('content-security-policy'), /script-src 'self'; style-src 'self'/)
  const html = await page.text()
  const asset = /\/assets\/(student-[0-9a-f]+\.js)/.exec(html)?.[1]
  t.ok(asset, 'the page refers to a hashed bundle')
  const js = await fetch(`${s.url}/assets/${asset ?? ''}`)
  t.match(js.headers.get('content-type'), /^text\/javascript/)
  t.match(js.headers.get('cache-control'), /immutable/)
  t.notMatch(html, /style="|<script>/, 'no inline styles or scripts in the page')
  const sketch = await fetch(`${s.url}/sketch`)
  t.match(sketch.headers.get('content-security-policy'), /^default-src 'none'; script-src 'self' 'unsafe-inline'/)
  t.match(sketch.headers.get('content-security-policy'), /connect-src 'none'/)
  t.equal((await fetch(`${s.url}/assets/nothing-here.js`)).status, 404)
  t.equal((await fetch(`${s.url}/assets/..%2Fpackage.json`)).status, 400)
  t.equal((await fetch(`${s.url}/room`)).status, 200)
})

t.test('image, by touch at 768 px: config card, idea, streamed text, then a picture', { skip }, async (t) => {
  const { page, w } = await openPage('de-DE')
  const card = page.locator('button[data-config="overdrive"]')
  await card.waitFor(WAIT)
  t.match(await card.textContent(), /Overdrive/)
  t.match(await page.locator('h1').textContent(), /Deine Idee/, 'German for a German browser')
  await screenshot(page, 'student-1-configs')
  // The rules, folded away, come from the config's context.
  await card.click()
  await page.locator('#rules-box summary').click()
  await page.waitForFunction(() => document.getElementById('rules').value.length > 20, undefined, WAIT)
  t.match(await page.locator('#rules').inputValue(), /Übertreibe/)
  await page.locator('#rules-box summary').click()

  await runIdea(page, 'overdrive', 'ein Superheld mit einem Umhang aus Zuckerwatte', true)
  await page.locator('#status-text', { hasText: 'Fertig!' }).waitFor(WAIT)
  t.match(await page.locator('#text').textContent(), /Eine riesige, leuchtende Szene/)
  await screenshot(page, 'student-2-text')

  const choice = page.locator('button[data-output="sd35_large"]')
  await choice.waitFor(WAIT)
  t.equal(await page.locator('button[data-output="p5js_code"]').count(), 0, 'no code output for a text config')
  await choice.tap()
  await page.locator('#make').tap()
  const img = page.locator('#result img')
  await img.waitFor(WAIT)
  await page.waitForFunction(() => { const i = document.querySelector('#result img'); return i !== null && i.complete && i.naturalWidth > 0 }, undefined, WAIT)
  t.match(await img.getAttribute('src'), /^\/api\/media\/image\/[0-9a-f-]{36}/)
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 768), 'nothing sticks out sideways at 768 px')
  await screenshot(page, 'student-3-image')
  t.same(w.errors, [], 'no console errors')
  t.same(w.failed, [], 'no failed requests')
  t.same(w.bad, [], 'no error responses')
  await page.context().close()
})

t.test('code: a p5.js sketch runs in a sandboxed frame without network', { skip }, async (t) => {
  const { page, w } = await openPage('en-GB')
  t.match(await page.locator('h1').textContent(), /Your idea/, 'English for an English browser')
  await runIdea(page, 'p5js_sketcher', 'a dancing circle')
  await page.locator('#status-text', { hasText: 'Done!' }).waitFor(WAIT)
  const choice = page.locator('button[data-output="p5js_code"]')
  await choice.waitFor(WAIT)
  t.equal(await page.locator('button[data-output="sd35_large"]').count(), 0, 'only code outputs for the code sketcher')
  await choice.click()
  await page.locator('#make').click()
  const frame = page.locator('iframe.sketch')
  await frame.waitFor(WAIT)
  t.equal(await frame.getAttribute('sandbox'), 'allow-scripts', 'scripts only: opaque origin, no same-origin access')
  const sketch = await (await frame.elementHandle())?.contentFrame()
  t.ok(sketch, 'the sketch frame is there')
  await sketch?.waitForURL(/\/sketch$/, WAIT)
  // The canvas is drawn on: its centre pixel is the sketch's yellow circle.
  const pixel = await sketch?.waitForFunction(() => {
    const c = document.querySelector('canvas')
    if (c === null) return undefined
    const d = c.getContext('2d')?.getImageData(100, 100, 1, 1).data
    return d !== undefined && d[0] === 255 && d[1] === 200 ? Array.from(d) : undefined
  }, undefined, WAIT)
  t.same(await pixel?.jsonValue(), [255, 200, 0, 255])
  // Its policy forbids the network: a request from inside the frame is refused.
  const fetched = await sketch?.evaluate(async () => await fetch('/health').then(() => 'reached', (e: Error) => `refused: ${e.message}`))
  t.match(fetched, /^refused/)
  await screenshot(page, 'student-4-sketch')
  t.same(w.errors.filter((e) => !/Content Security Policy|connect-src/.test(e)), [], 'no console errors but the refused request')
  t.same(w.failed.filter((f) => !f.includes('/health')), [], 'no failed requests but the refused one')
  t.same(w.bad, [])
  await page.context().close()
})

t.test('a refusal is shown kindly, as text, not as a console error', { skip }, async (t) => {
  const { page, w } = await openPage('de-DE')
  await runIdea(page, 'overdrive', 'eine Hakenkreuzfahne')
  const refusal = page.locator('#refusal')
  await refusal.waitFor({ state: 'visible', ...WAIT })
  t.match(await refusal.textContent(), /Das geht so leider nicht/)
  t.match(await page.locator('#refusal-text').textContent(), /§86a/)
  t.equal(await page.locator('#try-other').evaluate((b) => b === document.activeElement), true, 'focus moves to "try another idea"')
  await screenshot(page, 'student-5-refusal')
  t.same(w.errors, [])
  t.same(w.failed, [])
  await page.context().close()
})

t.test('an upstream error is shown as text with a retry that works', { skip }, async (t) => {
  const { page, w } = await openPage('de-DE')
  // Stage 1 (a JSON-format call) passes; Stage 2's model call fails.
  s.sim.set({ failure: (req) => req.format === undefined ? 'http_500' : 'none' })
  await runIdea(page, 'overdrive', 'ein fliegender Wal')
  const error = page.locator('#error')
  await error.waitFor({ state: 'visible', ...WAIT })
  t.match(await page.locator('#error-text').textContent(), /KI-Server hat einen Fehler gemeldet/)
  await screenshot(page, 'student-6-error')
  s.sim.set({ failure: 'none' })
  await page.locator('#retry').click()
  await page.locator('#status-text', { hasText: 'Fertig!' }).waitFor(WAIT)
  t.equal(await error.isVisible(), false, 'the error is gone after the retry')
  t.same(w.errors, [])
  t.same(w.failed, [])
  await page.context().close()
})

t.test('keyboard alone: Tab reaches a card, Enter picks it, the idea and Start follow', { skip }, async (t) => {
  const { page, w } = await openPage('de-DE')
  await page.locator('button[data-config]').first().waitFor(WAIT)
  await page.keyboard.press('Tab')
  const first = await page.evaluate(() => document.activeElement?.getAttribute('data-config'))
  t.ok(first, 'the first Tab lands on a config card')
  await page.keyboard.press('Enter')
  t.equal(await page.locator(`button[data-config="${first ?? ''}"]`).getAttribute('aria-pressed'), 'true')
  await page.locator('#idea').focus()
  await page.keyboard.type('ein Baum aus Glas')
  await page.keyboard.press('Tab') // the rules summary
  await page.keyboard.press('Tab') // Start
  t.equal(await page.evaluate(() => document.activeElement?.id), 'start')
  await page.keyboard.press('Enter')
  await page.locator('#status-text', { hasText: 'Fertig!' }).waitFor(WAIT)
  t.same(w.errors, [])
  await page.context().close()
})
