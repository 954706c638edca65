import http from 'node:http'
import t from 'tap'
import { eventually, startServer } from '../helper.js'

t.test('a client leaving during Stage 4 takes its job off ComfyUI', async (t) => {
  const s = await startServer({}, {}, { renderMs: 5000 })
  t.teardown(s.close)
  const leave = (): (() => void) => {
    const req = http.request(`${s.url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false })
    req.on('error', () => {})
    req.end(JSON.stringify({ schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' }))
    return () => req.destroy()
  }
  const running = leave()
  t.ok(await eventually(() => s.comfy.busy === 1, 5000), 'the first job runs on ComfyUI')
  running()
  t.ok(await eventually(() => s.comfy.interrupted.length === 1 && s.comfy.busy === 0, 2000), 'the running job was interrupted')

  // With one media slot, the second job waits in ComfyUI's queue only if ComfyUI is busy:
  // start one run that stays, and one that leaves while its job is pending.
  const stays = leave()
  t.ok(await eventually(() => s.comfy.busy === 1, 5000))
  t.teardown(stays)
  t.equal(s.app.media.queue.active, 1)
  const queued = leave()
  t.ok(await eventually(() => s.app.media.queue.waiting === 1, 5000), 'the second run waits for the media slot')
  queued()
  t.ok(await eventually(() => s.app.media.queue.waiting === 0, 10_000), 'it left the media queue at once')
  t.equal(s.comfy.submitted.length, 2, 'and never reached ComfyUI')
  t.ok(await eventually(() => s.app.queue.active === 0), 'no model slot held')
})
