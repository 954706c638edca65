import t from 'tap'
import { ADMIN, openSse, sleep, startServer } from '../helper.js'

t.test('3 slots, 9 runs: never more than 3 generations upstream, ticks every second, FIFO', async (t) => {
  // Each run holds its slot for about 1.3 s of tokens, so later runs wait over a second.
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '3' }, { firstTokenDelayMs: 5, tokenDelayMs: 25 })
  t.teardown(s.close)
  const acquiredOrder: string[] = []
  const acquire = s.app.queue.acquire.bind(s.app.queue)
  s.app.queue.acquire = async (runId, opts) => await acquire(runId, opts).then((slot) => { acquiredOrder.push(runId); return slot })
  const clients = []
  for (let i = 0; i < 9; i++) {
    clients.push(openSse(s.url, { schema: 'overdrive', input_text: `Idee Nummer ${i}`, safety_level: 'off' }))
    await clients[i]?.waitFor('queue_status') // arrival order is the order of this loop
  }
  const status = await (await fetch(`${s.url}/api/queue/status`, { headers: ADMIN })).json() as { active: number, waiting: number, runs: Array<{ state: string, position: number | null }> }
  t.equal(status.active, 3)
  t.equal(status.waiting, 6)
  t.same(status.runs.filter((r) => r.state === 'waiting').map((r) => r.position), [1, 2, 3, 4, 5, 6])
  t.notOk(JSON.stringify(status).includes('Idee'), 'no input text in the queue status')

  await Promise.all(clients.map((c) => c.done))
  t.ok(s.sim.counters.maxActiveGenerations <= 3, `max generations upstream: ${s.sim.counters.maxActiveGenerations}`)
  t.equal(s.sim.counters.maxActiveGenerations, 3, 'all slots were used')

  for (const c of clients) t.equal(c.events.at(-1)?.event, 'complete')
  // FIFO: slots were granted in arrival order.
  const runIds = clients.map((c) => c.events[0]?.data.run_id)
  t.same(acquiredOrder.map((id) => runIds.indexOf(id)), [0, 1, 2, 3, 4, 5, 6, 7, 8])

  // The last run waited longest: first told its place (6), then ticks about a second apart.
  const last = clients[8]!.events.filter((e) => e.event === 'queue_status')
  const waiting = last.filter((e) => e.data.status === 'waiting')
  t.equal(waiting[0]?.data.position, 6)
  t.equal(waiting[0]?.data.queue_length, 6)
  t.ok(waiting.length >= 3, `${waiting.length} waiting events`)
  const positions = waiting.map((e) => e.data.position as number)
  t.ok(positions.every((p, i) => i === 0 || p <= (positions[i - 1] as number)), `positions never rise: ${positions.join(',')}`)
  t.ok((positions.at(-1) as number) < 6, 'and fall')
  const waits = waiting.map((e) => e.data.wait_time_ms as number)
  for (let i = 2; i < waits.length; i++) {
    const gap = (waits[i] as number) - (waits[i - 1] as number)
    // One timer ticks every second; a busy machine only delays a tick, never brings it forward.
    t.ok(gap > 700 && gap < 10_000, `tick gap ${gap} ms is about a second`)
  }
  t.match(waiting.at(-1)?.data.message, /^Warte auf freien Slot\.\.\. \(\d+s\)$/)
  const acquired = last.at(-1)
  t.equal(acquired?.data.status, 'acquired')
  t.ok((acquired?.data.wait_time_ms as number) >= (waits.at(-1) as number))
  t.equal(s.app.queue.active, 0)
  await sleep(0)
})

t.test('past QUEUE_MAX_WAITING a run is refused with 503 + Retry-After before the stream', async (t) => {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1', QUEUE_MAX_WAITING: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 50 })
  t.teardown(s.close)
  const a = openSse(s.url, { schema: 'overdrive', input_text: 'eins', safety_level: 'off' })
  await a.waitFor('queue_status')
  const b = openSse(s.url, { schema: 'overdrive', input_text: 'zwei', safety_level: 'off' })
  await b.waitFor('queue_status')
  const res = await fetch(`${s.url}/api/schema/pipeline/execute?schema=overdrive&input_text=drei&enable_streaming=true&user_language=en`)
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '30')
  t.match(res.headers.get('content-type'), /application\/json/)
  t.match(await res.json(), { status: 'error', code: 'QUEUE_FULL', error: /Too many requests/ })
  a.leave()
  b.leave()
})
