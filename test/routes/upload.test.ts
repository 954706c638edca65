import sharp from 'sharp'
import t from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startServer } from '../helper.js'

const form = (name: string, type: string, data: Buffer, field = 'file'): FormData => {
  const f = new FormData()
  f.append(field, new Blob([data], { type }), name)
  return f
}

t.test('POST /api/media/upload/image stores a checked, scaled image under an id', async (t) => {
  const s = await startServer({ UPLOAD_MAX_BYTES: '200000', UPLOAD_MAX_SIDE: '256' })
  t.teardown(s.close)
  const png = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#3366ff' } }).png().toBuffer()
  const res = await fetch(`${s.url}/api/media/upload/image`, { method: 'POST', body: form('katze.png', 'image/png', png) })
  t.equal(res.status, 200)
  const body = await res.json() as Record<string, unknown>
  t.match(body, { success: true, image_id: /^[0-9a-f-]{36}$/, filename: /\.png$/, original_filename: 'katze.png', original_size: [800, 400], resized_size: [256, 128], file_size_bytes: Number })
  t.same((await readdir(join(s.runsDir, 'uploads'))).sort(), [body.filename, `${body.image_id as string}.owner`].sort(), 'stored under its id with its owner (a hash), nothing else')
  t.notOk(JSON.stringify(body).includes(s.runsDir), 'no server path in the answer')

  const small = await sharp({ create: { width: 50, height: 40, channels: 3, background: '#fff' } }).webp().toBuffer()
  t.match(await (await fetch(`${s.url}/api/media/upload/image`, { method: 'POST', body: form('x.webp', 'image/webp', small) })).json(), { resized_size: [50, 40] }, 'never scaled up')

  const cases: Array<[string, FormData | string, number]> = [
    ['a text file named .png', form('evil.png', 'image/png', Buffer.from('<?php echo 1; ?>')), 415],
    ['a GIF', form('x.gif', 'image/gif', await sharp({ create: { width: 5, height: 5, channels: 3, background: '#000' } }).gif().toBuffer()), 415],
    ['too large', form('big.png', 'image/png', Buffer.alloc(300_000, 1)), 413],
    ['another field name', form('katze.png', 'image/png', png, 'image'), 400],
    ['JSON instead of multipart', JSON.stringify({ file: 'x' }), 400]
  ]
  for (const [name, payload, status] of cases) {
    const res = await fetch(`${s.url}/api/media/upload/image`, { method: 'POST', body: payload, ...(typeof payload === 'string' ? { headers: { 'content-type': 'application/json' } } : {}) })
    t.equal(res.status, status, name)
    t.match(await res.json(), { success: false, error: String, code: String }, `${name}: JSON error`)
  }
})
