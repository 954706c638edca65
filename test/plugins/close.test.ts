import t from 'tap'
import { closeWaitSockets, eventually, openSse, startServer } from '../helper.js'

t.test('app.close() finishes promptly with streams open, running and waiting', async (t) => {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1', SSE_PING_MS: '50', SHUTDOWN_GRACE_MS: '60000' }, { firstTokenDelayMs: 5, tokenDelayMs: 100 })
  const running = openSse(s.url, { schema: 'overdrive', input_text: 'eins', safety_level: 'off' })
  await running.waitFor('chunk')
  const waiting = openSse(s.url, { schema: 'overdrive', input_text: 'zwei', safety_level: 'off' })
  await waiting.waitFor('queue_status', (e) => e.data.status === 'waiting')
  const started = Date.now()
  await s.app.close()
  const took = Date.now() - started
  // Streams are ended at once, not after the grace: a bound far below it, far above any busy machine.
  t.ok(took < 30_000, `app.close() took ${took} ms, not SHUTDOWN_GRACE_MS`)
  await Promise.all([running.done, waiting.done])
  for (const c of [running, waiting]) {
    t.match(c.events.at(-1), { event: 'error', data: { code: 'SHUTTING_DOWN', message: /neu/ } }, 'told why the stream ends')
  }
  t.ok(await eventually(() => s.sim.counters.activeGenerations === 0), 'upstream call cut')
  t.equal(s.app.queue.active, 0)
  t.ok(await eventually(() => closeWaitSockets(s.port, 'local') === 0), 'no server socket in CLOSE_WAIT')
  await s.close()
})
