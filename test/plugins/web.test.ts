import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import app from '../../app.js'
import { TEST_ENV } from '../helper.js'
import { buildWeb } from '../../scripts/build-web.js'

async function appWith (dir: string, opts: { helmet?: boolean } = {}) {
  const fastify = Fastify()
  if (opts.helmet === true) await fastify.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"] } } })
  await fastify.register(fp(app), { env: { ...TEST_ENV, OLLAMA_URL: 'http://127.0.0.1:9', COMFYUI_URL: 'http://127.0.0.1:9' }, web: { dir } })
  return fastify
}

t.test('without a build, the pages answer 404 with what to run, never a 5xx', async (t) => {
  const fastify = await appWith('/nonexistent/web')
  t.teardown(async () => await fastify.close())
  for (const url of ['/', '/room', '/sketch']) {
    const res = await fastify.inject({ url })
    t.equal(res.statusCode, 404, url)
    t.match(res.body, /npm run build/)
  }
})

t.test('the build: hashed assets, pages that name them, the sketch runtime inlined', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'artsed-web-'))
  t.teardown(async () => await rm(out, { recursive: true, force: true }))
  await buildWeb({ out })
  await buildWeb({ out }) // twice into the same folder: the same names, no leftovers
  const assets = (await readdir(join(out, 'assets'))).sort()
  t.equal(assets.length, 3, assets.join(', '))
  t.ok(assets.every((a) => /^(room|student|style)-[0-9a-f]{10}\.(js|css)$/.test(a)))
  t.same((await readdir(out)).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left')

  const fastify = await appWith(out)
  t.teardown(async () => await fastify.close())
  const page = await fastify.inject({ url: '/' })
  t.equal(page.statusCode, 200)
  t.equal(page.headers['cache-control'], 'no-cache')
  for (const a of assets) {
    if (a.startsWith('room')) continue
    t.match(page.body, `/assets/${a}`, `the page names ${a}`)
    const res = await fastify.inject({ url: `/assets/${a}` })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], a.endsWith('.js') ? /^text\/javascript/ : /^text\/css/)
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
  }
  const sketch = await fastify.inject({ url: '/sketch' })
  t.match(sketch.body, /p5\.js v1\.11/, 'p5.js itself is inline')
  t.match(sketch.body, /sketch-ready/, 'and the runtime')
  t.notMatch(sketch.body, /<script src=/, 'nothing is loaded from elsewhere')
  t.match(sketch.headers['content-security-policy'], /default-src 'none'/)
  t.match(sketch.headers['content-security-policy'], /connect-src 'none'/)
  const again = await fastify.inject({ url: '/sketch', headers: { 'if-none-match': sketch.headers.etag as string } })
  t.equal(again.statusCode, 304, 'unchanged: revalidated by its ETag, not sent again')
  for (const url of ['/assets/..%2Fpackage.json', '/assets/x.exe', '/assets/nope-0000000000.js']) {
    const res = await fastify.inject({ url })
    t.ok(res.statusCode === 400 || res.statusCode === 404, `${url} → ${res.statusCode}`)
  }
})

t.test('with server-wide security headers (helmet), the sketch frame keeps its own policy', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'artsed-web-'))
  t.teardown(async () => await rm(out, { recursive: true, force: true }))
  await buildWeb({ out })
  const fastify = await appWith(out, { helmet: true })
  t.teardown(async () => await fastify.close())
  const sketch = await fastify.inject({ url: '/sketch' })
  t.equal(sketch.statusCode, 200)
  t.match(sketch.headers['content-security-policy'], /^default-src 'none'; script-src 'self' 'unsafe-inline';/)
  t.match(sketch.headers['content-security-policy'], /sandbox allow-scripts/)
  t.equal(sketch.headers['x-frame-options'], 'SAMEORIGIN')
  const page = await fastify.inject({ url: '/' })
  t.match(page.headers['content-security-policy'], /script-src 'self'; style-src 'self'/)
  t.notMatch(page.headers['content-security-policy'], /unsafe-inline/)
})
