import { randomBytes } from 'node:crypto'
import sharp from 'sharp'
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startServer } from '../helper.js'

// Issue 9, hole 4: uploads from one client are bounded in number and bytes.

const upload = async (url: string, png: Buffer, cookie: string) => {
  const f = new FormData()
  f.append('file', new Blob([png], { type: 'image/png' }), 'bild.png')
  return await fetch(`${url}/api/media/upload/image`, { method: 'POST', body: f, headers: { cookie, 'accept-language': 'de' } })
}

t.test('uploads per browser and bytes per address are limited: 429 with Retry-After', async (t) => {
  const s = await startServer({ UPLOADS_MAX_PER_BROWSER: '2', UPLOADS_MAX_BYTES_PER_ADDRESS: '200000' })
  t.teardown(s.close)
  // Noise, so the stored PNG stays large after scaling.
  const raw = randomBytes(200 * 200 * 3)
  const png = await sharp(raw, { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer()
  const a = 'artsed_browser=browser-a-0000000000000000'
  const b = 'artsed_browser=browser-b-0000000000000000'
  t.equal((await upload(s.url, png, a)).status, 200)
  t.equal((await upload(s.url, png, a)).status, 200)
  const third = await upload(s.url, png, a)
  t.equal(third.status, 429, 'a third upload from the same browser is refused')
  t.equal(third.headers.get('retry-after'), '3600')
  t.match(await third.json(), { success: false, code: 'RATE_LIMITED', error: /hochgeladen/ })
  // Two stored images of ~120 KB exceed the address's 200 KB: another browser behind it is refused too.
  const other = await upload(s.url, png, b)
  t.equal(other.status, 429, 'the address is past its bytes')
  t.match(await other.json(), { error: /Netz/ })
  t.equal((await readdir(join(s.runsDir, 'uploads'))).filter((f) => !f.endsWith('.owner')).length, 2, 'nothing more was stored')
})
