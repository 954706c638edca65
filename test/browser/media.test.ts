import t from 'tap'
import type { Browser, Page } from 'playwright-core'
import { startServer, type TestServer } from '../helper.js'
import { placeholderPng } from '../../simulators/png.js'
import { ensureBuilt, launch, screenshot, skipReason, tablet, watch, WAIT } from './browser.js'

const skip = skipReason() ?? false
// A browser on a busy two-core machine: a generous bound for the whole file (tap's default is 60 s).
t.setTimeout(300_000)

/**
 * Video, audio and image-to-image: the page offers whatever /api/models/availability marks
 * available, so these tests find the outputs by kind (the buttons' data-kind) instead of
 * naming catalog ids. On a branch whose catalog has no output of a kind, that kind's test
 * is a todo that says so; once the outputs exist, it runs.
 */
let s: TestServer
let browser: Browser
let kinds: Map<string, string> = new Map()

t.before(async () => {
  if (skip !== false) return
  await ensureBuilt()
  s = await startServer()
  browser = await launch()
  // Which output ids of which kinds the page offers for a text config.
  const page = await (await tablet(browser)).newPage()
  await textDone(page)
  const buttons = page.locator('#media-choices button')
  await buttons.first().waitFor(WAIT)
  kinds = new Map(await buttons.evaluateAll((bs) => bs.map((b) => [b.getAttribute('data-kind') ?? '', b.getAttribute('data-output') ?? ''] as [string, string])))
  await page.context().close()
})
t.teardown(async () => {
  await browser?.close()
  await s?.close()
})

async function textDone (page: Page): Promise<void> {
  await page.goto(`${s.url}/`)
  await page.locator('button[data-config="overdrive"]').click(WAIT)
  await page.locator('#idea').fill('ein Leuchtturm, der singt')
  await page.locator('#start').click()
  await page.locator('#status[data-state="none"]').waitFor(WAIT)
}

for (const [kind, element] of [['video', 'video'], ['audio', 'audio'], ['img2img', 'img']] as const) {
  t.test(`${kind}: chosen, made and shown in its player`, { skip }, async (t) => {
    const id = kinds.get(kind)
    if (id === undefined) {
      await t.test(`${kind} in the browser`, { todo: `no ${kind} output is available in this branch's catalog (lead: it comes with the media kinds branch)` }, async () => {})
      return
    }
    const page = await (await tablet(browser)).newPage()
    const w = watch(page)
    await textDone(page)
    await page.locator(`button[data-output="${id}"]`).click(WAIT)
    if (kind === 'img2img') {
      await page.locator('#drop').waitFor({ state: 'visible', ...WAIT })
      t.equal(await page.locator('#make').isDisabled(), true, 'no picture yet, nothing to make')
      await page.locator('#image-file').setInputFiles({ name: 'zeichnung.png', mimeType: 'image/png', buffer: placeholderPng(64, 64, 1, 'drawing') })
      await page.locator('#image-preview').waitFor({ state: 'visible', ...WAIT })
      await page.locator('#make:not([disabled])').waitFor(WAIT)
    }
    await page.locator('#make').click()
    const media = page.locator(`#result ${element}`)
    await media.waitFor(WAIT)
    const src = await media.getAttribute('src') ?? ''
    t.match(src, /^\/api\/media\/\w+\/[0-9a-f-]{36}/)
    const served = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type') ?? '' } }, src)
    t.equal(served.status, 200)
    t.match(served.type, kind === 'img2img' ? /^image\// : new RegExp(`^${kind}/`))
    if (element !== 'img') t.equal(await media.getAttribute('controls'), '', 'with controls')
    await screenshot(page, `media-${kind}`)
    t.same(w.errors, [])
    t.same(w.failed, [])
    await page.context().close()
  })
}
