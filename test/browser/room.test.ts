import t from 'tap'
import type { Browser } from 'playwright-core'
import { eventually, openSse, startServer, type TestServer } from '../helper.js'
import { ensureBuilt, launch, screenshot, skipReason, watch, WAIT } from './browser.js'

const skip = skipReason() ?? false
// A browser on a busy two-core machine: a generous bound for the whole file (tap's default is 60 s).
t.setTimeout(300_000)
const TOKEN = 'room-test-token-0123456789abcdef'
// The functions given to evaluate() run in the page, not in Node.
declare const window: any

let s: TestServer
let browser: Browser

t.before(async () => {
  if (skip !== false) return
  await ensureBuilt()
  s = await startServer({ QUEUE_MAX_CONCURRENT: '1', ADMIN_TOKEN: TOKEN, OLLAMA_IDLE_TIMEOUT_MS: '120000', OLLAMA_TOTAL_TIMEOUT_MS: '300000' }, {
    // HOLD stalls its Stage 1 call, so its run keeps the only slot.
    failure: (req) => req.prompt.includes('HOLD') ? 'stall' : 'none'
  })
  browser = await launch()
})
t.teardown(async () => {
  await browser?.close()
  await s?.close()
})

t.test('the room view lists the waiting run, shows the servers and the hour, and its Stop ends that run', { skip }, async (t) => {
  const holder = openSse(s.url, { schema: 'overdrive', input_text: 'HOLD eine Sanduhr' })
  const holderId = String((await holder.waitFor('connected')).data.run_id)
  await holder.waitFor('queue_status', (e) => e.data.status === 'acquired')
  const waiter = openSse(s.url, { schema: 'overdrive', input_text: 'ein Kaktus mit Hut' })
  const waiterId = String((await waiter.waitFor('connected')).data.run_id)
  await waiter.waitFor('queue_status', (e) => e.data.status === 'waiting')

  const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'de-DE' })
  const page = await context.newPage()
  const w = watch(page)
  const urls: string[] = []
  page.on('request', (r) => urls.push(r.url()))
  await page.goto(`${s.url}/room`)
  await page.locator('#token').fill(TOKEN)
  await page.locator('#login button[type="submit"]').click()

  const row = page.locator(`tr[data-run="${waiterId}"]`)
  await row.waitFor(WAIT)
  await page.locator(`tr[data-run="${waiterId}"][data-state="waiting"]`).waitFor(WAIT)
  t.match(await row.locator('td').nth(1).textContent(), /wartet/)
  t.equal(await row.locator('td').nth(3).textContent(), '1', 'place 1 in line')
  t.match(await row.locator('td').nth(4).textContent(), /^\d+ s$/)
  t.notMatch(await page.locator('#runs').textContent(), /Kaktus|Sanduhr/, 'no idea texts')
  const holderRow = page.locator(`tr[data-run="${holderId}"][data-state="running"]`)
  await holderRow.waitFor(WAIT)
  t.equal(await holderRow.locator('td').nth(2).textContent(), '1', 'the holder is in Stage 1')

  // An idea is shown only when the teacher asks for it (the holder's is stored once it runs).
  t.ok(await eventually(async () => (await fetch(`${s.url}/api/pipeline/${holderId}/entity/input`, { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200, 20_000))
  await holderRow.getByRole('button', { name: `Idee von Lauf ${holderId.slice(0, 8)} zeigen` }).click()
  await page.locator('#idea-text', { hasText: 'HOLD eine Sanduhr' }).waitFor(WAIT)
  await page.locator('#idea-close').click()
  t.equal(await page.locator('#idea-view').isVisible(), false)
  t.equal(await row.getByRole('button', { name: /Idee/ }).isVisible(), false, 'a waiting run has no stored idea to show')

  await page.locator('[data-upstream="ollama"] .ok').waitFor(WAIT)
  await page.locator('[data-upstream="comfyui"] .ok').waitFor(WAIT)
  t.match(await page.locator('[data-upstream="ollama"]').textContent(), /Geladen: .*qwen3:4b/, 'the safety model is loaded')
  await page.locator('#chart svg[role="img"] rect.bar').first().waitFor(WAIT)
  await screenshot(page, 'room-1-waiting')

  await row.getByRole('button', { name: `Lauf ${waiterId.slice(0, 8)} anhalten` }).click()
  const stopped = await waiter.waitFor('error')
  t.match(stopped.data, { code: 'STOPPED', message: 'Deine Lehrkraft hat diesen Lauf angehalten.' }, 'the student hears who stopped it')
  await waiter.done
  t.pass('the stopped run\'s stream ended')
  await row.waitFor({ state: 'detached', ...WAIT })
  t.ok(await eventually(() => s.app.queue.waiting === 0, 20_000), 'it left the queue')

  const cancelled = s.sim.counters.cancelled
  await holderRow.getByRole('button', { name: /anhalten/ }).click()
  await holder.done
  t.ok(await eventually(() => s.sim.counters.cancelled === cancelled + 1 && s.app.queue.active === 0, 20_000), 'stopping a running run closes its model call and frees the slot')
  await page.locator('#runs-none').waitFor({ state: 'visible', ...WAIT })
  await screenshot(page, 'room-2-empty')

  t.equal(await page.evaluate(() => window.sessionStorage.getItem('artsed-admin-token')), TOKEN, 'the token stays in this tab')
  t.same(urls.filter((u) => u.includes(TOKEN)), [], 'the token is never in a URL')
  t.same(w.errors, [])
  t.same(w.failed, [])
  t.same(w.bad, [])
  await context.close()
  t.ok(await eventually(() => s.app.streams.size === 0, 20_000), 'closing the room view ends its stream')
})

t.test('a wrong token is told, not shown as a broken page', { skip }, async (t) => {
  const context = await browser.newContext({ locale: 'en-GB' })
  const page = await context.newPage()
  await page.goto(`${s.url}/room`)
  await page.locator('#token').fill('not-the-token')
  await page.locator('#login button[type="submit"]').click()
  await page.locator('#login-note', { hasText: 'The token is not right.' }).waitFor(WAIT)
  t.equal(await page.evaluate(() => window.sessionStorage.getItem('artsed-admin-token')), null, 'a wrong token is not kept')
  await context.close()
})
