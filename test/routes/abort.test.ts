import t, { type Test } from 'tap'
import { closeWaitSockets, eventually, openSse, sleep, startServer, type TestServer } from '../helper.js'

/**
 * A client that leaves, at each point of a run, over real sockets: within a second nothing
 * of its run is left upstream, in the pool, in the queue or in CLOSE_WAIT.
 */
async function nothingLeft (t: Test, s: TestServer, leftAt: number, opts: { otherRuns?: number } = {}): Promise<void> {
  const others = opts.otherRuns ?? 0
  const simPort = Number(new URL(s.sim.url).port)
  t.ok(await eventually(() => s.sim.counters.activeGenerations === others, 10_000), `no generation upstream for it (active: ${s.sim.counters.activeGenerations})`)
  t.comment(`upstream generation stopped ${Date.now() - leftAt} ms after the client left`)
  t.ok(await eventually(() => (s.app.ollama.poolStats()?.running ?? 0) === others, 10_000), 'no busy socket in the undici pool')
  t.ok(await eventually(() => s.app.queue.waiting === 0 && s.app.queue.active === others, 10_000), 'queue: nothing waiting, its slot free')
  t.ok(await eventually(() => s.app.streams.size === others, 10_000), 'its stream is unregistered')
  t.ok(await eventually(() => closeWaitSockets(s.port, 'local') === 0 && closeWaitSockets(simPort, 'remote') === 0, 10_000), 'no socket of the server in CLOSE_WAIT, downstream or upstream')
}

t.test('leaving while queued: it leaves the line at once and never takes a slot', async (t) => {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 40 })
  t.teardown(s.close)
  const holder = openSse(s.url, { schema: 'overdrive', input_text: 'erster', safety_level: 'off' })
  await holder.waitFor('chunk')
  const waiter = openSse(s.url, { schema: 'overdrive', input_text: 'zweiter', safety_level: 'off' })
  await waiter.waitFor('queue_status', (e) => e.data.status === 'waiting')
  t.equal(s.app.queue.waiting, 1)
  const acquiredBefore = s.app.queue.counters.acquired
  const left = Date.now()
  waiter.leave()
  t.ok(await eventually(() => s.app.queue.waiting === 0, 10_000), 'removed from the line')
  t.comment(`left the queue ${Date.now() - left} ms after the client left`)
  await nothingLeft(t, s, left, { otherRuns: 1 })
  await holder.done
  t.equal(s.app.queue.counters.acquired, acquiredBefore, 'the leaver never took a slot')
  t.equal(s.app.queue.counters.cancelled, 1)
  await nothingLeft(t, s, Date.now())
})

t.test('leaving during Stage 1 cancels the safety call upstream', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 3000 })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
  await c.waitFor('queue_status')
  t.ok(await eventually(() => s.sim.counters.activeGenerations === 1), 'the safety call is running upstream')
  const left = Date.now()
  c.leave()
  await nothingLeft(t, s, left)
  t.equal(s.sim.counters.cancelled, 1, 'the simulator saw the socket close before it finished')
})

t.test('leaving mid-stream cancels the interception upstream', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 5, tokenDelayMs: 30 })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
  await c.waitFor('chunk', (e) => e.data.chunk_count === 3)
  const left = Date.now()
  c.leave()
  await nothingLeft(t, s, left)
  t.equal(s.sim.counters.cancelled, 1)
  t.equal(s.sim.counters.completed, 1, 'only the safety call had finished')
})

t.test('leaving while the reader is paused (backpressure) still cancels everything', async (t) => {
  // A long answer: every `chunk` event repeats the accumulated text, so the buffers
  // between server and paused reader fill within a few hundred events.
  const long = 'Zuckerwatte über grünen Türmen ✨ '.repeat(1500)
  const s = await startServer({}, { firstTokenDelayMs: 5, tokenDelayMs: 1, reply: () => long })
  t.teardown(s.close)
  // Watch the run's sink: a send that does not settle is a run waiting on backpressure.
  let blockedSince: number | undefined
  const open = s.app.openRunStream
  s.app.openRunStream = (reply) => {
    const stream = open(reply)
    const send = stream.sink.send
    stream.sink.send = async (event, data) => {
      blockedSince = Date.now()
      try { await send(event, data) } finally { blockedSince = undefined }
    }
    // Tokens take the pre-built frame path: it returns a promise only when it waits.
    const frame = stream.sink.frame
    if (frame !== undefined) {
      stream.sink.frame = (text) => {
        const wait = frame(text)
        if (wait === undefined) return undefined
        blockedSince = Date.now()
        return wait.finally(() => { blockedSince = undefined })
      }
    }
    return stream
  }
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off', accumulated: 'true' })
  await c.waitFor('connected')
  c.pause()
  t.ok(await eventually(() => blockedSince !== undefined && Date.now() - blockedSince > 300, 20_000), 'a send waits on the paused reader')
  t.equal(s.sim.counters.activeGenerations, 1, 'the generation is still running upstream')
  const left = Date.now()
  c.leave()
  await nothingLeft(t, s, left)
  t.ok(await eventually(() => blockedSince === undefined, 10_000), 'the waiting send settled when the client left')
  t.equal(s.sim.counters.cancelled, 1)
})

t.test('many clients leaving at once leave nothing behind', async (t) => {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '3' }, { firstTokenDelayMs: 5, tokenDelayMs: 20 })
  t.teardown(s.close)
  const clients = Array.from({ length: 12 }, (_, i) => openSse(s.url, { schema: 'overdrive', input_text: `Idee ${i}`, safety_level: 'kids' }))
  await Promise.all(clients.map((c) => c.waitFor('queue_status')))
  await sleep(100)
  const left = Date.now()
  for (const c of clients) c.leave()
  await nothingLeft(t, s, left)
  t.equal(s.app.queue.counters.acquired, s.app.queue.counters.released, 'every slot taken was given back')
})
