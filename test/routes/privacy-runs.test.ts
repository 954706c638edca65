import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { ADMIN, openSse, startServer, TEST_BROWSER_COOKIE } from '../helper.js'

// Issue 9, holes 1 and 2: a run is its browser's; a run id alone reveals and opens nothing.

const STRANGER = { cookie: 'artsed_browser=a-stranger-in-another-browser' }

/** Every route of api.md §5 for one run (the image run has an image, an input and a file). */
function runRoutes (runId: string): string[] {
  return [
    `/api/pipeline/${runId}/status`,
    `/api/pipeline/${runId}/entities`,
    `/api/pipeline/${runId}/entity/input`,
    `/api/pipeline/${runId}/file/01_input.txt`,
    `/api/media/images/${runId}`,
    `/api/media/image/${runId}`,
    `/api/media/image/${runId}/0`
  ]
}

t.test('a browser-bound run is a 404 from a second cookie jar and without a cookie, a 200 with the admin token', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const run = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', payload: { schema: 'overdrive', input_text: 'Ich heiße Lena Muster', output_config: 'sd35_large', safety_level: 'off' } })
  t.equal(run.statusCode, 200)
  const runId = run.json().run_id as string

  for (const url of runRoutes(runId)) {
    t.equal((await s.app.inject({ url })).statusCode, 200, `the owner reads ${url}`)
    const stranger = await s.app.inject({ url, headers: STRANGER })
    t.equal(stranger.statusCode, 404, `another browser gets 404 for ${url}`)
    t.notMatch(stranger.body, /Lena/)
    t.equal((await fetch(`${s.url}${url}`, { headers: { cookie: '' } })).status, 404, `no cookie: 404 for ${url}`)
    t.equal((await s.app.inject({ url, headers: { ...STRANGER, ...ADMIN } })).statusCode, 200, `the admin token reads ${url}`)
    t.equal((await s.app.inject({ url, headers: { ...STRANGER, authorization: 'Bearer wrong' } })).statusCode, 404, 'a wrong token opens nothing')
  }
  const unknown = await s.app.inject({ url: '/api/pipeline/00000000-0000-4000-8000-000000000000/status', headers: STRANGER })
  const hidden = await s.app.inject({ url: `/api/pipeline/${runId}/status`, headers: STRANGER })
  t.same(hidden.json(), { ...unknown.json(), error: unknown.json().error.replace('00000000-0000-4000-8000-000000000000', runId) }, 'a hidden run answers exactly as a missing one')

  // The store records a hash of the browser id, never the id itself.
  const meta = await readFile(join(s.runsDir, runId, 'metadata.json'), 'utf8')
  t.match(JSON.parse(meta), { owner: /^[0-9a-f]{32}$/ })
  t.notMatch(meta, TEST_BROWSER_COOKIE.split('=')[1] as string, 'the raw cookie is not stored')
})

t.test('RUNS_PRIVATE=false opens runs to anyone with the id', async (t) => {
  const s = await startServer({ RUNS_PRIVATE: 'false' })
  t.teardown(s.close)
  const run = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', payload: { schema: 'overdrive', input_text: 'ein Baum', safety_level: 'off' } })
  t.equal((await s.app.inject({ url: `/api/pipeline/${run.json().run_id as string}/entities`, headers: STRANGER })).statusCode, 200)
})

t.test('the browser cookie: random, HttpOnly, SameSite=Lax, Secure only over https', async (t) => {
  const s = await startServer({ TRUST_PROXY: 'true' }, {}, {}, { browser: false })
  t.teardown(s.close)
  const first = await fetch(`${s.url}/api/schema/info`)
  const cookie = first.headers.get('set-cookie') ?? ''
  t.match(cookie, /^artsed_browser=[A-Za-z0-9_-]{24}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/)
  const second = await fetch(`${s.url}/api/schema/info`)
  t.not(second.headers.get('set-cookie')?.split(';')[0], cookie.split(';')[0], 'each new browser its own id')
  const again = await fetch(`${s.url}/api/schema/info`, { headers: { cookie: cookie.split(';')[0] as string } })
  t.equal(again.headers.get('set-cookie'), null, 'a browser that has one keeps it')
  const https = await fetch(`${s.url}/api/schema/info`, { headers: { 'x-forwarded-proto': 'https' } })
  t.match(https.headers.get('set-cookie'), /; Secure/, 'behind the tunnel over https: Secure')
  // An event stream writes its headers by hand: the cookie must still be among them.
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' })
  t.match((await c.headers)['set-cookie']?.[0], /^artsed_browser=/)
  await c.done
})

t.test('no public listing of run ids: queue status counts only, /metrics and the detailed /ready need the token', async (t) => {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 30 })
  t.teardown(s.close)
  const a = openSse(s.url, { schema: 'overdrive', input_text: 'eins', safety_level: 'off' })
  await a.waitFor('chunk')
  const b = openSse(s.url, { schema: 'overdrive', input_text: 'zwei', safety_level: 'off' })
  await b.waitFor('queue_status')
  const pub = await s.app.inject({ url: '/api/queue/status', headers: STRANGER })
  t.same(pub.json(), { max_concurrent: 1, active: 1, waiting: 1, max_waiting: 200 }, 'counts only')
  t.notMatch(pub.body, /[0-9a-f]{8}-[0-9a-f]{4}/, 'no run id')
  const admin = await s.app.inject({ url: '/api/queue/status', headers: ADMIN })
  t.match(admin.json().runs, [{ state: 'active', position: null }, { state: 'waiting', position: 1 }])

  t.equal((await s.app.inject('/metrics')).statusCode, 401)
  t.equal((await s.app.inject({ url: '/metrics', headers: ADMIN })).statusCode, 200)

  const comfyui = s.app.media.comfyui
  const status = comfyui.status.bind(comfyui)
  let comfyCalls = 0
  comfyui.status = async () => { comfyCalls++; return await status() }
  const ready = await s.app.inject('/ready')
  t.same(ready.json(), { status: 'ready', reason: 'ok' }, 'public /ready: a word, no URLs, versions or models')
  for (let i = 0; i < 5; i++) await s.app.inject('/ready')
  t.equal(comfyCalls, 0, 'public /ready never calls ComfyUI')
  t.match((await s.app.inject({ url: '/ready', headers: ADMIN })).json(), { status: 'ready', reasons: [], ollama: { url: String }, comfyui: { reachable: true }, catalog_problems: Array })
  t.equal(comfyCalls, 1, 'the detailed /ready does')
  a.leave(); b.leave()
})

t.test('/ready is rate-limited per address', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  let limited = 0
  for (let i = 0; i < 70; i++) if ((await s.app.inject('/ready')).statusCode === 429) limited++
  t.ok(limited >= 10, `${limited} of 70 calls in a minute were refused`)
  t.equal((await s.app.inject('/health')).statusCode, 200, '/health is never limited')
})

t.test('continuing a run: only the same browser\'s finished run; never a stranger\'s, never a client-chosen id', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 5, tokenDelayMs: 20 })
  t.teardown(s.close)
  const stage2 = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/stage2', payload: { schema: 'bauhaus', input_text: 'ein roter Stuhl', safety_level: 'off' } })
  const victim = stage2.json().run_id as string
  const before = await readFile(join(s.runsDir, victim, 'metadata.json'), 'utf8')

  // A stranger who learned the id appends nothing to it.
  const attack = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', headers: STRANGER, payload: { stage2_result: 'ein Bild eines Fremden', output_config: 'sd35_large', run_id: victim, seed: 1 } })
  t.equal(attack.statusCode, 200)
  t.not(attack.json().run_id, victim, 'the stranger got a run of its own')
  t.equal(await readFile(join(s.runsDir, victim, 'metadata.json'), 'utf8'), before, 'the victim\'s run is unchanged')
  t.equal((await s.app.inject({ url: `/api/media/image/${victim}` })).statusCode, 404, 'no stranger\'s picture in the victim\'s run')

  // A made-up id creates nothing under that id.
  const madeUp = '12345678-1234-4123-8123-123456789abc'
  const fresh = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', payload: { stage2_result: 'ein Haus', output_config: 'sd35_large', run_id: madeUp } })
  t.not(fresh.json().run_id, madeUp)
  t.notOk((await readdir(s.runsDir)).includes(madeUp), 'no run directory under a client-chosen id')

  // The owner continues its finished run.
  const own = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', payload: { stage2_result: stage2.json().stage2_result, output_config: 'sd35_large', run_id: victim, seed: 2 } })
  t.equal(own.json().run_id, victim)
})

t.test('continuing a run still in progress gets a fresh run and loses none of the running run\'s records', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 5, tokenDelayMs: 40 })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Baum im Wind', safety_level: 'kids' })
  const chunk = await c.waitFor('chunk')
  const runId = (c.events.find((e) => e.event === 'connected')?.data.run_id ?? '') as string
  t.ok(chunk)
  const during = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', payload: { stage2_result: 'dazwischen', output_config: 'sd35_large', run_id: runId } })
  t.not(during.json().run_id, runId, 'not written into the running run')
  await c.done
  const types = (await s.app.inject(`/api/pipeline/${runId}/entities`)).json().entities.map((e: { type: string }) => e.type)
  t.same(types, ['input', 'config_used', 'safety', 'stage1_output', 'interception'], 'every record of the running run is there, nothing else')
})
