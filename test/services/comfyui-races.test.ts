import t, { type Test } from 'tap'
import { ComfyUiClient } from '../../services/media/comfyui.js'
import { ComfyUiSimulator, type ComfySimOptions } from '../../simulators/comfyui-simulator.js'
import { eventually } from '../helper.js'

// Issue 8 item 3, (a) to (d): each test fails on the client before this change.
const workflow = {
  3: { class_type: 'KSampler', inputs: { seed: 7 } },
  10: { class_type: 'PrimitiveString', inputs: { value: 'a red house' } },
  9: { class_type: 'SaveImage', inputs: { filename_prefix: 'x' } }
}

async function setup (t: Test, sim: Partial<ComfySimOptions>, client: { timeoutMs?: number, websocket?: boolean } = {}): Promise<{ sim: ComfyUiSimulator, client: ComfyUiClient }> {
  const s = new ComfyUiSimulator(sim)
  const url = await s.listen()
  const c = new ComfyUiClient({ baseUrl: url, timeoutMs: client.timeoutMs ?? 20_000, pollMs: 20, maxPollMs: 200, websocket: client.websocket })
  t.teardown(async () => { await c.close(); await s.close() })
  return { sim: s, client: c }
}

t.test('(a) we choose the prompt_id, so a submit whose answer never comes still has its job taken off', async (t) => {
  const { sim, client } = await setup(t, { submitDelayMs: 60_000, renderMs: 60_000 }, { timeoutMs: 1500 })
  await t.rejects(client.run(workflow, new AbortController().signal), { code: 'UPSTREAM_TIMEOUT' })
  const sent = sim.submits[0]?.prompt_id
  t.type(sent, 'string', 'POST /prompt carried our prompt_id')
  t.equal(sim.promptIds[0], sent, 'ComfyUI queued the job under it')
  t.ok(sim.interrupted.includes(String(sent)) || sim.deleted.includes(String(sent)), 'the job was taken off by that id')
  t.equal(sim.busy, 0, 'nothing runs for nobody')
})

t.test('(b) a fully cached job that completes before the submit is answered is not missed', async (t) => {
  for (const instant of ['before', 'after'] as const) {
    for (const callerPromptId of [true, false]) {
      const { sim, client } = await setup(t, { instant, callerPromptId }, { timeoutMs: 5000 })
      const result = await client.run(workflow, new AbortController().signal)
      t.equal(result.progress, 'websocket', `${instant}, caller id ${String(callerPromptId)}: heard on the websocket`)
      t.equal(result.promptId, sim.promptIds[0], 'the id ComfyUI used')
      t.equal(result.files.length, 1)
    }
  }
})

t.test('(c) a websocket that drops mid-job: the job is followed through /history', async (t) => {
  const { client } = await setup(t, { dropSocket: true, renderMs: 300 })
  const result = await client.run(workflow, new AbortController().signal)
  t.equal(result.progress, 'polling')
  t.equal(result.files.length, 1)
})

for (const websocket of [true, false]) {
  t.test(`(c) a ComfyUI restart that forgets the job is an UPSTREAM_ERROR at once, not a wait for the timeout (${websocket ? 'websocket' : 'polling'})`, async (t) => {
    const { sim, client } = await setup(t, { renderMs: 60_000 }, { timeoutMs: 60_000, websocket })
    const run = client.run(workflow, new AbortController().signal)
    t.ok(await eventually(() => sim.runningId !== undefined, 10_000), 'the job runs')
    sim.restart()
    await t.rejects(run, { code: 'UPSTREAM_ERROR', message: /neither queued nor in the history.*restarted/ })
  })
}

t.test("(c) ComfyUI's own error text is kept whole: node, exception type and message", async (t) => {
  const long = `CUDA out of memory. ${'Tried to allocate more than the card has. '.repeat(6)}END-OF-MESSAGE`
  for (const websocket of [true, false]) {
    const { client } = await setup(t, { fail: true, failMessage: long, renderMs: 10 }, { websocket })
    const err = await client.run(workflow, new AbortController().signal).then(() => undefined, (e: Error & { code?: string }) => e)
    t.equal(err?.code, 'UPSTREAM_ERROR')
    t.match(err?.message, /node 3 KSampler/, `${websocket ? 'websocket' : 'history'}: names the node`)
    t.match(err?.message, /RuntimeError: CUDA out of memory/, 'the exception type')
    t.match(err?.message, /END-OF-MESSAGE$/, 'and the whole message')
  }
})

t.test('(d) cancelling a pending job that starts meanwhile: deleted first, so it never runs for nobody', async (t) => {
  const { sim, client } = await setup(t, { renderMs: 60_000 })
  const other = client.run(workflow, new AbortController().signal)
  t.ok(await eventually(() => sim.runningId !== undefined, 10_000))
  const ours = new AbortController()
  const mine = client.run(workflow, ours.signal)
  t.ok(await eventually(() => sim.busy === 2, 10_000))
  const id = sim.promptIds[1] as string
  // ComfyUI moves the next job to running right after any read of /queue.
  sim.set({ advanceOnQueueRead: true })
  ours.abort()
  await t.rejects(mine, { code: 'ABORTED' })
  sim.set({ advanceOnQueueRead: false })
  t.resolves(other, 'the other job finished')
  t.not(sim.runningId, id, 'ours is not running')
  t.ok(sim.deleted.includes(id) || sim.interrupted.includes(id), 'ours was taken off')
  t.equal(sim.busy, 0)
})

t.test('(d) an older ComfyUI that ignores prompt_id on /interrupt: cancelling a pending job never interrupts the running one', async (t) => {
  const { sim, client } = await setup(t, { renderMs: 60_000, interruptPromptId: false })
  const otherCtl = new AbortController()
  const other = client.run(workflow, otherCtl.signal)
  t.ok(await eventually(() => sim.runningId !== undefined, 10_000))
  const otherId = sim.runningId as string
  const ours = new AbortController()
  const mine = client.run(workflow, ours.signal)
  t.ok(await eventually(() => sim.busy === 2, 10_000))
  ours.abort()
  await t.rejects(mine, { code: 'ABORTED' })
  t.equal(sim.runningId, otherId, 'the other job still runs')
  t.same(sim.interrupted, [])
  t.same(sim.deleted, [sim.promptIds[1]])
  otherCtl.abort()
  await t.rejects(other, { code: 'ABORTED' })
  t.same(sim.interrupted, [otherId], 'a running job of ours is interrupted')
})

t.test('(c) /history is polled with back-off, not every 100 ms for the whole job', async (t) => {
  const { sim, client } = await setup(t, { renderMs: 2500 }, { websocket: false })
  const result = await client.run(workflow, new AbortController().signal)
  t.equal(result.progress, 'polling')
  // 20 ms doubling (capped at 200 ms here): at most ~17 reads in 2.5 s however fast the machine;
  // a fixed 100 ms poll makes about 25. A slow machine only makes fewer.
  t.ok(sim.historyReads <= 18, `${sim.historyReads} reads of /history`)
})
