import t from 'tap'
import type { Browser, Page } from 'playwright-core'
import { eventually, openSse, startServer, type TestServer } from '../helper.js'
import { ensureBuilt, launch, screenshot, skipReason, tablet, watch, WAIT } from './browser.js'

const skip = skipReason() ?? false
// A browser on a busy two-core machine: a generous bound for the whole file (tap's default is 60 s).
t.setTimeout(300_000)
// The functions given to evaluate() and waitForFunction() run in the page, not in Node.
declare const document: any
declare const window: any

let s: TestServer
let browser: Browser

t.before(async () => {
  if (skip !== false) return
  await ensureBuilt()
  s = await startServer({ QUEUE_MAX_CONCURRENT: '1', OLLAMA_IDLE_TIMEOUT_MS: '120000', OLLAMA_TOTAL_TIMEOUT_MS: '300000' }, {
    // HOLD stalls its Stage 1 call (the slot stays taken); STALL streams a few Stage 2 pieces,
    // then stays silent; SLOW streams the whole answer, a piece every 150 ms.
    failure: (req) => req.prompt.includes('HOLD') || (req.prompt.includes('STALL') && req.format === undefined) ? 'stall' : 'none',
    tokensBeforeFailure: 3
  })
  browser = await launch()
})
t.teardown(async () => {
  await browser?.close()
  await s?.close()
})

async function studentPage (): Promise<{ page: Page, w: ReturnType<typeof watch> }> {
  const page = await (await tablet(browser)).newPage()
  const w = watch(page)
  await page.goto(`${s.url}/`)
  // Every state the status line and the text go through, in order.
  await page.evaluate(() => {
    window.seen = []
    const note = (): void => {
      const state = document.getElementById('status').dataset.state ?? ''
      const entry = `${state}|${document.getElementById('text').textContent.length as number}|${document.getElementById('status-text').textContent as string}`
      if (window.seen[window.seen.length - 1] !== entry) window.seen.push(entry)
    }
    new window.MutationObserver(note).observe(document.getElementById('run'), { subtree: true, childList: true, characterData: true, attributes: true })
  })
  return { page, w }
}

async function start (page: Page, idea: string): Promise<void> {
  await page.locator('button[data-config="overdrive"]').click(WAIT)
  await page.locator('#idea').fill(idea)
  await page.locator('#start').click()
}

/** A run that takes the only slot and keeps it until it leaves. */
async function holdSlot (): Promise<ReturnType<typeof openSse>> {
  const holder = openSse(s.url, { schema: 'overdrive', input_text: 'HOLD eine Sanduhr', safety_level: 'kids' })
  await holder.waitFor('queue_status', (e) => e.data.status === 'acquired')
  return holder
}

const isStream = (f: string): boolean => f.includes('/api/schema/pipeline/execute?') && f.endsWith('net::ERR_ABORTED')

t.test('waiting: red with place 1 and the seconds counting, then blue and streaming when the slot frees', { skip }, async (t) => {
  const holder = await holdSlot()
  s.sim.set({ tokenDelayMs: 150 })
  t.teardown(() => s.sim.set({ tokenDelayMs: 5 }))
  const { page, w } = await studentPage()
  await start(page, 'ein Wal aus Wolken')

  const status = page.locator('#status-text')
  await page.locator('#status[data-state="waiting"]').waitFor(WAIT)
  await status.filter({ hasText: /^Du bist Nr\. 1 in der Schlange · wartet seit \d+ s$/ }).waitFor(WAIT)
  t.equal(await page.locator('#status').getAttribute('aria-live'), 'polite', 'announced politely')
  t.equal(await page.locator('#spinner').evaluate((el) => window.getComputedStyle(el).borderTopColor), 'rgb(211, 47, 47)', 'the spinner is red')
  const first = Number(/(\d+) s$/.exec(await status.textContent() ?? '')?.[1])
  await page.waitForFunction((n) => {
    const m = /(\d+) s$/.exec(document.getElementById('status-text').textContent)
    return m !== null && Number(m[1]) >= n + 2
  }, first, WAIT)
  t.pass('the wait seconds count up')
  await screenshot(page, 'queue-1-waiting-red')

  holder.leave()
  await page.locator('#status[data-state="working"]').waitFor(WAIT)
  await page.waitForFunction(() => document.getElementById('text').textContent.length > 0, undefined, WAIT)
  t.equal(await page.locator('#spinner').evaluate((el) => window.getComputedStyle(el).borderTopColor), 'rgb(30, 99, 214)', 'the spinner is blue')
  await screenshot(page, 'queue-2-streaming-blue')
  await status.filter({ hasText: 'Fertig!' }).waitFor(WAIT)

  const seen = await page.evaluate(() => window.seen as string[])
  const firstWaiting = seen.findIndex((e) => e.startsWith('waiting|'))
  const streaming = seen.findIndex((e) => /^working\|[1-9]/.test(e))
  const streamingMore = seen.findIndex((e, i) => i > streaming && /^working\|[1-9]/.test(e) && e !== seen[streaming])
  t.ok(firstWaiting >= 0 && streaming > firstWaiting, 'red first, then blue with text')
  t.ok(streamingMore > streaming, 'the text grows piece by piece while the spinner is blue')
  t.same(w.errors, [])
  t.same(w.failed, [])
  await page.context().close()
})

t.test('Stop leaves the queue while waiting, and closes the model call while streaming', { skip }, async (t) => {
  const holder = await holdSlot()
  const { page, w } = await studentPage()
  await start(page, 'ein Turm aus Keksen')
  await page.locator('#status[data-state="waiting"]').waitFor(WAIT)
  t.equal(s.app.queue.waiting, 1)
  await page.locator('#stop').click()
  t.ok(await eventually(() => s.app.queue.waiting === 0, 20_000), 'the run left the queue')
  t.match(await page.locator('#status-text').textContent(), /Angehalten/)
  await screenshot(page, 'queue-3-stopped')

  holder.leave()
  t.ok(await eventually(() => s.app.queue.active === 0 && s.sim.counters.activeGenerations === 0, 20_000), 'the holder is gone')
  const cancelled = s.sim.counters.cancelled
  await start(page, 'STALL ein Vulkan aus Wackelpudding')
  await page.waitForFunction(() => document.getElementById('text').textContent.length > 0, undefined, WAIT)
  t.equal(s.app.queue.active, 1, 'the run holds the slot while it streams')
  await page.locator('#stop').click()
  t.ok(await eventually(() => s.sim.counters.cancelled === cancelled + 1, 20_000), 'the simulator saw its upstream request closed')
  t.ok(await eventually(() => s.app.queue.active === 0 && s.sim.counters.activeGenerations === 0, 20_000), 'the slot is free')
  t.same(w.errors, [])
  t.same(w.failed.filter((f) => !isStream(f)), [], 'only the stopped streams were cut off')
  await page.context().close()
})

t.test('closing the tab frees the slot and closes the model call', { skip }, async (t) => {
  const { page } = await studentPage()
  const cancelled = s.sim.counters.cancelled
  await start(page, 'STALL ein Fahrrad aus Seifenblasen')
  await page.waitForFunction(() => document.getElementById('text').textContent.length > 0, undefined, WAIT)
  t.equal(s.app.queue.active, 1)
  await page.close()
  t.ok(await eventually(() => s.sim.counters.cancelled === cancelled + 1, 20_000), 'the simulator saw its upstream request closed')
  t.ok(await eventually(() => s.app.queue.active === 0 && s.sim.counters.activeGenerations === 0 && s.app.streams.size === 0, 20_000), 'slot and stream are gone')
})
