import t from 'tap'
import { SlotQueue, type WaitInfo } from '../../services/slot-queue.js'
import { AppError } from '../../services/errors.js'

t.test('FIFO order, positions and at most maxConcurrent holders', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 2, maxWaiting: 10, tickMs: 20 })
  const signal = new AbortController().signal
  const a = await q.acquire('a', { signal })
  const b = await q.acquire('b', { signal })
  const order: string[] = []
  const infos: Record<string, WaitInfo[]> = { c: [], d: [], e: [] }
  const waits = ['c', 'd', 'e'].map((id) => q.acquire(id, { signal, onWait: (i) => infos[id]?.push(i) }).then((s) => { order.push(id); return s }))
  t.equal(q.active, 2)
  t.equal(q.waiting, 3)
  t.same(infos.e?.[0], { position: 3, waitMs: 0, queueLength: 3 }, 'told its place at once')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok((infos.c?.length ?? 0) >= 2, 'ticks while waiting')
  a.release()
  a.release() // idempotent: must not free a second slot
  await Promise.resolve()
  t.equal(q.active, 2, 'a double release frees one slot only')
  t.same(order, ['c'])
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.equal(infos.e?.at(-1)?.position, 2, 'position falls as the line moves')
  b.release()
  const [c, d] = await Promise.all(waits.slice(0, 2))
  t.same(order, ['c', 'd'])
  c?.release()
  const e = await waits[2]
  t.same(order, ['c', 'd', 'e'])
  d?.release()
  e?.release()
  t.equal(q.active, 0)
  t.same(q.counters, { acquired: 5, released: 5, cancelled: 0, rejected: 0 })
})

t.test('a waiter that is aborted leaves at once and never takes a slot', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 10 })
  const held = await q.acquire('held', { signal: new AbortController().signal })
  const leaving = new AbortController()
  const p = q.acquire('leaving', { signal: leaving.signal })
  const next = q.acquire('next', { signal: new AbortController().signal })
  t.equal(q.waiting, 2)
  leaving.abort()
  await t.rejects(p, { code: 'ABORTED' })
  t.equal(q.waiting, 1, 'removed at once')
  t.same(q.snapshot().runs.map((r) => [r.run_id, r.state, r.position]), [['held', 'active', null], ['next', 'waiting', 1]])
  held.release()
  const s = await next
  t.equal(s.runId, 'next')
  t.equal(q.counters.cancelled, 1)
})

t.test('a full line refuses; isFull tells before trying', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 1 })
  const signal = new AbortController().signal
  await q.acquire('a', { signal })
  t.notOk(q.isFull())
  const waiting = q.acquire('b', { signal })
  t.ok(q.isFull())
  t.notOk(q.admits(), 'a full queue admits no new run')
  await t.rejects(q.acquire('c', { signal }), { code: 'QUEUE_FULL', statusCode: 503 })
  t.equal(q.counters.rejected, 2, 'both refusals counted')
  q.close(new AppError('SHUTTING_DOWN', 'bye', 503))
  await t.rejects(waiting, { code: 'SHUTTING_DOWN' })
  await t.rejects(q.acquire('d', { signal }), { code: 'SHUTTING_DOWN' })
})

t.test('an already aborted signal never queues', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 1 })
  const c = new AbortController()
  c.abort()
  await t.rejects(q.acquire('x', { signal: c.signal }), { code: 'ABORTED' })
  t.equal(q.active, 0)
})
