import t from 'tap'
import { ADMIN, eventually, startServer } from '../helper.js'
import { ComfyUiSimulator } from '../../simulators/comfyui-simulator.js'

const run = async (url: string) => {
  const res = await fetch(`${url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off', user_language: 'en' }) })
  return { status: res.status, body: await res.json() as { media_output?: Record<string, unknown> } }
}

t.test('each ComfyUI fault ends the media output with an error and a code, frees the media slot, and the next run is fine', async (t) => {
  const s = await startServer({ COMFYUI_TIMEOUT_MS: '1500' })
  t.teardown(s.close)
  const faults: Array<[string, () => void, string]> = [
    ['500 on submit', () => s.comfy.set({ failSubmit: true }), 'UPSTREAM_ERROR'],
    ['the job fails', () => s.comfy.set({ failSubmit: false, fail: true }), 'UPSTREAM_ERROR'],
    ['the job takes too long', () => s.comfy.set({ fail: false, renderMs: 5000 }), 'UPSTREAM_TIMEOUT']
  ]
  for (const [name, set, code] of faults) {
    set()
    const r = await run(s.url)
    t.equal(r.status, 200, `${name}: still a 200 (the text stages succeeded)`)
    t.match(r.body.media_output, { config: 'sd35_large', status: 'error', media_type: 'image', error: String, code }, name)
    t.ok(await eventually(() => s.app.media.queue.active === 0 && s.app.queue.active === 0), `${name}: slots freed`)
  }
  t.equal(s.comfy.interrupted.length, 1, 'the timed-out job was interrupted')
  s.comfy.set({ renderMs: 20 })
  t.match((await run(s.url)).body.media_output, { status: 'success' }, 'the next run is fine')
})

t.test('ComfyUI refusing connections', async (t) => {
  const gone = new ComfyUiSimulator()
  const url = await gone.listen()
  await gone.close()
  const s = await startServer({ COMFYUI_URL: url })
  t.teardown(s.close)
  const r = await run(s.url)
  t.match(r.body.media_output, { status: 'error', code: 'UPSTREAM_UNAVAILABLE' })
  const ready = await (await fetch(`${s.url}/ready`, { headers: ADMIN })).json() as { comfyui: { reachable: boolean } }
  t.equal(ready.comfyui.reachable, false, '/ready reports it')
})

t.test('a ComfyUI restart mid-job ends the media output with UPSTREAM_ERROR long before the timeout, with the slot freed', async (t) => {
  const s = await startServer({ COMFYUI_TIMEOUT_MS: '120000' }, {}, { renderMs: 120_000 })
  t.teardown(s.close)
  const pending = run(s.url)
  t.ok(await eventually(() => s.comfy.runningId !== undefined, 20_000), 'the job runs in ComfyUI')
  s.comfy.restart()
  const r = await pending
  t.match(r.body.media_output, { status: 'error', code: 'UPSTREAM_ERROR', error: /restarted/ })
  t.ok(await eventually(() => s.app.media.queue.active === 0), 'media slot freed')
})

t.test("ComfyUI's own error text reaches the media output whole", async (t) => {
  const s = await startServer({}, {}, { fail: true, renderMs: 10, failMessage: 'Allocation on device failed: out of memory while decoding, try a smaller size' })
  t.teardown(s.close)
  const r = await run(s.url)
  t.match(r.body.media_output, { status: 'error', code: 'UPSTREAM_ERROR', error: /KSampler: RuntimeError: Allocation on device failed: out of memory while decoding, try a smaller size$/ })
})
