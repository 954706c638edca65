import t from 'tap'
import { eventually, openSse, startServer } from '../helper.js'

t.test('300 streams behind one slot: each gets its headers, connected and its place; all leave cleanly', async (t) => {
  const N = 300
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1', QUEUE_MAX_WAITING: '1000', RATE_LIMIT_MAX: '0' }, { firstTokenDelayMs: 5, tokenDelayMs: 50 })
  t.teardown(s.close)
  const holder = openSse(s.url, { schema: 'overdrive', input_text: 'hält den Slot', safety_level: 'off' })
  await holder.waitFor('chunk')
  const clients = Array.from({ length: N }, (_, i) => openSse(s.url, { schema: 'overdrive', input_text: `wartet ${i}`, safety_level: 'off' }))
  const first = await Promise.all(clients.map(async (c) => await c.waitFor('queue_status')))
  t.ok(clients.every((c) => c.events[0]?.event === 'connected'), 'every stream got connected first')
  const positions = first.map((e) => e.data.position as number).sort((a, b) => a - b)
  t.same(positions, Array.from({ length: N }, (_, i) => i + 1), 'every waiting stream was told a distinct place, 1 to N')
  t.equal(s.app.queue.waiting, N)
  // One shared timer ticks them all: within a little over a second every stream hears again.
  t.ok(await eventually(() => clients.every((c) => c.events.filter((e) => e.event === 'queue_status').length >= 2), 10_000), 'every waiting stream got a tick')
  for (const c of clients) c.leave()
  holder.leave()
  t.ok(await eventually(() => s.app.queue.waiting === 0 && s.app.queue.active === 0 && s.app.streams.size === 0, 10_000), 'queue and streams empty')
  t.ok(await eventually(() => s.sim.counters.activeGenerations === 0), 'nothing upstream')
})
