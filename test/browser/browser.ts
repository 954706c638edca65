import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { buildWeb } from '../../scripts/build-web.js'

/** Debian's chromium package; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SCREENSHOTS = join(root, 'test-artifacts', 'screenshots')

/** Why the browser tests cannot run here, or undefined when they can. */
export function skipReason (): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  return `no Chromium at ${CHROMIUM}: install it to run the browser tests (Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium), or set CHROMIUM_PATH`
}

let built: Promise<string> | undefined
/** Builds the pages once per test process (into dist/web, which the server serves). */
export async function ensureBuilt (): Promise<string> {
  built ??= buildWeb()
  return await built
}

/**
 * Headless Chromium as on a closed network: without these switches Chromium phones home
 * (component updates, sync, safe browsing lists) and logs the refused connections.
 */
export async function launch (): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']
  })
}

/** A school tablet: 768 px wide, touch, German unless told otherwise. */
export async function tablet (browser: Browser, locale = 'de-DE'): Promise<BrowserContext> {
  return await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true, locale })
}

export interface PageWatch {
  /** Console messages of level error, and uncaught page errors. */
  errors: string[]
  /** Requests that failed (network error, abort) as `url errorText`. */
  failed: string[]
  /** Responses with status >= 400 as `status url`. */
  bad: string[]
}

/** Collects everything that would be a defect on a working page. */
export function watch (page: Page): PageWatch {
  const w: PageWatch = { errors: [], failed: [], bad: [] }
  page.on('console', (m) => { if (m.type() === 'error') w.errors.push(m.text()) })
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`))
  page.on('requestfailed', (r) => w.failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`))
  page.on('response', (r) => { if (r.status() >= 400) w.bad.push(`${r.status()} ${r.url()}`) })
  return w
}

export async function screenshot (page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** Generous bound for a condition on a busy two-core machine. */
export const WAIT = { timeout: 30_000 }
