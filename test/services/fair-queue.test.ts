import t from 'tap'
import { AppError } from '../../services/errors.js'
import { SlotQueue, type QueueClient, type Slot } from '../../services/slot-queue.js'

const signal = new AbortController().signal
const client = (address: string, browser = 'b'): QueueClient => ({ address, browser })

/** Lets the promise callbacks of granted slots run (no timers involved). */
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

t.test('fairness: one client with 200 queued runs and 20 others with one each', async (t) => {
  // Issue 9, hole 3. Old code (a FIFO): the 20 would wait behind all 200 runs of the heavy client.
  const q = new SlotQueue({ maxConcurrent: 3, maxWaiting: 1000 })
  const held: Slot[] = []
  for (let i = 0; i < 3; i++) held.push(await q.acquire(`busy-${i}`, { signal, client: client('heavy') }))
  const order: string[] = []
  const watch = (id: string, c: QueueClient): void => {
    q.acquire(id, { signal, client: c }).then((s) => { order.push(id); held.push(s) }, () => {})
  }
  for (let i = 0; i < 200; i++) watch(`heavy-${i}`, client('heavy'))
  for (let i = 0; i < 20; i++) watch(`light-${i}`, client(`10.0.0.${i}`))
  t.equal(q.waiting, 220)

  // The stated bound: with A = 21 addresses waiting, every newcomer is served within A grants
  // (one round of the rotation); each of the 20 has a position <= 21 at once.
  const positions = new Map(q.snapshot().runs.filter((r) => r.state === 'waiting').map((r) => [r.run_id, r.position]))
  for (let i = 0; i < 20; i++) t.ok((positions.get(`light-${i}`) ?? Infinity) <= 21, `light-${i} stands at most 21st`)

  // Serve 21 slots one at a time: every one of the 20 light clients is among them.
  for (let g = 0; g < 21; g++) {
    held.shift()?.release()
    await settle()
  }
  t.equal(order.length, 21)
  for (let i = 0; i < 20; i++) t.ok(order.includes(`light-${i}`), `light-${i} got a slot within its fair share (21 grants)`)
  t.equal(order.filter((id) => id.startsWith('heavy-')).length, 1, 'the heavy client got one slot in that round')
  for (const s of held) s.release()
  q.close(new AppError('SHUTTING_DOWN', 'end', 503))
  t.equal(q.waiting, 0)
})

t.test('positions are the truthful serve order (round-robin between addresses, then browsers)', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 100 })
  const first = await q.acquire('x', { signal })
  const order: string[] = []
  const positions: Record<string, number> = {}
  const add = (id: string, c: QueueClient): void => {
    q.acquire(id, { signal, client: c, onWait: (w) => { positions[id] ??= w.position } }).then((s) => { order.push(id); s.release() }, () => {})
  }
  add('a1', client('A', 'a')); add('a2', client('A', 'a')); add('a3', client('A', 'b'))
  add('b1', client('B')); add('b2', client('B'))
  const predicted = q.snapshot().runs.filter((r) => r.state === 'waiting').sort((x, y) => (x.position ?? 0) - (y.position ?? 0)).map((r) => r.run_id)
  t.same(predicted, ['a1', 'b1', 'a3', 'b2', 'a2'], 'A and B take turns; within A, browsers a and b take turns')
  first.release()
  await settle()
  t.same(order, predicted, 'served exactly in the order the positions said')
  t.same(positions, { a1: 1, a2: 2, a3: 2, b1: 2, b2: 4 }, 'each was told its place when it joined')
})

t.test('caps on waiting runs per browser and per address: 429 TOO_MANY_WAITING with a retry hint', async (t) => {
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 100, maxWaitingPerBrowser: 2, maxWaitingPerAddress: 3 })
  const held = await q.acquire('held', { signal })
  const ac = new AbortController()
  const waits = [
    q.acquire('1', { signal: ac.signal, client: client('A', 'a') }),
    q.acquire('2', { signal: ac.signal, client: client('A', 'a') })
  ]
  await t.rejects(q.acquire('3', { signal: ac.signal, client: client('A', 'a') }), { code: 'TOO_MANY_WAITING', statusCode: 429, details: { retry_after_s: 30 } })
  waits.push(q.acquire('4', { signal: ac.signal, client: client('A', 'b') }))
  await t.rejects(q.acquire('5', { signal: ac.signal, client: client('A', 'c') }), { code: 'TOO_MANY_WAITING' }, 'the address is at its cap too')
  t.match(q.refusal(client('A', 'c'), 'de'), { code: 'TOO_MANY_WAITING', message: /Netz/ }, 'a route can ask first, in German')
  t.equal(q.refusal(client('B', 'x')), undefined, 'another address still gets in')
  waits.push(q.acquire('6', { signal: ac.signal, client: client('B', 'x') }))
  t.equal(q.waiting, 4)
  ac.abort()
  await Promise.allSettled(waits)
  t.equal(q.waiting, 0, 'aborted waiters leave every bucket')
  t.equal(q.refusal(client('A', 'a')), undefined, 'counts fall when waiters leave')
  held.release()
})

t.test('a listener that throws when a slot is granted does not leak the slot', async (t) => {
  // Issue 8 item 5. Old code: the listener ran inside #grant, before the waiter was resolved,
  // so its throw left the slot held by nobody and the waiter hanging.
  const q = new SlotQueue({ maxConcurrent: 1, maxWaiting: 10 })
  q.onAcquired(() => { throw new Error('metrics broke') })
  const first = await q.acquire('first', { signal })
  t.equal(q.active, 1, 'granted despite the listener')
  const second = q.acquire('second', { signal })
  first.release()
  const s = await second
  t.equal(s.runId, 'second', 'the waiter got its slot')
  s.release()
  t.equal(q.active, 0, 'no slot leaked')
  t.same(q.counters, { acquired: 2, released: 2, cancelled: 0, rejected: 0 })
})
