import t from 'tap'
import { ComfyUiClient } from '../../services/media/comfyui.js'
import { ComfyUiSimulator } from '../../simulators/comfyui-simulator.js'
import { eventually } from '../helper.js'

const workflow = {
  3: { class_type: 'KSampler', inputs: { seed: 7 } },
  10: { class_type: 'PrimitiveString', inputs: { value: 'a red house' } },
  9: { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } }
}

for (const websocket of [true, false]) {
  t.test(`a workflow runs and its PNG comes back (${websocket ? 'websocket' : 'polling'})`, async (t) => {
    const sim = new ComfyUiSimulator({ websocket })
    const url = await sim.listen()
    const client = new ComfyUiClient({ baseUrl: url, timeoutMs: 5000, pollMs: 20 })
    t.teardown(async () => { await client.close(); await sim.close() })
    const result = await client.run(workflow, new AbortController().signal)
    t.equal(result.progress, websocket ? 'websocket' : 'polling')
    t.equal(result.files.length, 1)
    t.same([...(result.files[0]?.data.subarray(0, 8) ?? [])], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
    t.same(sim.submitted[0], workflow)
  })
}

t.test('cancelling takes a pending job off the queue and interrupts a running one', async (t) => {
  const sim = new ComfyUiSimulator({ renderMs: 2000 })
  const url = await sim.listen()
  const client = new ComfyUiClient({ baseUrl: url, timeoutMs: 10000, pollMs: 20 })
  t.teardown(async () => { await client.close(); await sim.close() })
  const running = new AbortController()
  const pending = new AbortController()
  const a = client.run(workflow, running.signal)
  await eventually(() => sim.busy === 1)
  const b = client.run(workflow, pending.signal)
  await eventually(() => sim.busy === 2)
  pending.abort()
  await t.rejects(b, { code: 'ABORTED' })
  t.equal(sim.deleted.length, 1, 'the pending job was deleted from the queue')
  running.abort()
  await t.rejects(a, { code: 'ABORTED' })
  t.equal(sim.interrupted.length, 1, 'the running job was interrupted')
  t.equal(sim.busy, 0)
})

t.test('a timeout cancels too and says so; a failed job is an error', async (t) => {
  const sim = new ComfyUiSimulator({ renderMs: 1000 })
  const url = await sim.listen()
  const client = new ComfyUiClient({ baseUrl: url, timeoutMs: 200, pollMs: 20 })
  t.teardown(async () => { await client.close(); await sim.close() })
  await t.rejects(client.run(workflow, new AbortController().signal), { code: 'UPSTREAM_TIMEOUT' })
  t.equal(sim.interrupted.length, 1)
  sim.set({ fail: true, renderMs: 10 })
  const ok = new ComfyUiClient({ baseUrl: url, timeoutMs: 2000, pollMs: 20 })
  t.teardown(() => ok.close())
  await t.rejects(ok.run(workflow, new AbortController().signal), { code: 'UPSTREAM_ERROR' })
})
