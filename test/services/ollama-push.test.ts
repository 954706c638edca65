import t, { type Test } from 'tap'
import { AppError } from '../../services/errors.js'
import { OllamaClient } from '../../services/ollama/client.js'
import { NdjsonSplitter } from '../../services/ollama/ndjson.js'
import { OllamaSimulator } from '../../simulators/ollama-simulator.js'
import { eventually } from '../helper.js'

const timeouts = { connectMs: 2000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000 }
const req = { model: 'qwen3:4b', messages: [{ role: 'user' as const, content: 'Prompt:\nein grünes Haus' }] }

async function setup (t: Test, sim: OllamaSimulator) {
  const client = new OllamaClient({ baseUrl: await sim.listen(), connections: 4, timeouts })
  t.teardown(async () => { await client.close(); await sim.close() })
  return client
}

t.test('NdjsonSplitter: every cut position, inside multi-byte characters too, gives the same objects', async (t) => {
  const lines = [{ message: { content: 'Grüße ' } }, { message: { content: '✨🎨' } }, { done: true }]
  const bytes = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  for (let cut = 1; cut < bytes.length; cut++) {
    for (const second of [cut + 1, Math.floor((cut + bytes.length) / 2)]) {
      const got: unknown[] = []
      const s = new NdjsonSplitter()
      for (const piece of [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)]) s.push(piece, (v) => got.push(v))
      s.end((v) => got.push(v))
      if (JSON.stringify(got) !== JSON.stringify(lines)) t.fail(`cut at ${cut}/${second} gave ${JSON.stringify(got)}`)
    }
  }
  const last: unknown[] = []
  const s = new NdjsonSplitter()
  s.push(Buffer.from('\n{"a":1}\n\n{"b":'), (v) => last.push(v))
  s.push(Buffer.from('2}'), (v) => last.push(v))
  s.end((v) => last.push(v))
  t.same(last, [{ a: 1 }, { b: 2 }], 'blank lines skipped, a last line without newline parsed at the end')
  t.throws(() => new NdjsonSplitter().push(Buffer.from('nope\n'), () => {}), { code: 'UPSTREAM_BAD_RESPONSE' })
})

t.test('chatPush hands every piece on synchronously from the data callback, in order, then the stats', async (t) => {
  const client = await setup(t, new OllamaSimulator({ firstTokenDelayMs: 5, tokenDelayMs: 1 }))
  const pieces: string[] = []
  let returned = false
  const stats = await client.chatPush(req, new AbortController().signal, (piece) => {
    t.notOk(returned, 'no piece after the call returned')
    pieces.push(piece)
  })
  returned = true
  t.match(pieces.join(''), /ein grünes Haus/)
  t.equal(stats.eval_count, pieces.length)
  t.equal(client.poolStats()?.running, 0, 'the response was read to its end: no socket held')
})

t.test('a consumer that waits pauses the body; the abort while it waits closes the upstream socket', async (t) => {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 5, tokenDelayMs: 1, reply: () => 'Wort '.repeat(5000) })
  const client = await setup(t, sim)
  const ac = new AbortController()
  let count = 0
  let pausedAt = 0
  const call = client.chatPush(req, ac.signal, () => {
    count++
    // Full from the third piece on: a promise that settles only when the client leaves.
    if (count === 3) pausedAt = count
    if (count >= 3) return new Promise<void>(() => {})
  })
  t.ok(await eventually(() => pausedAt === 3, 10_000), 'the consumer said it was full')
  const seen = count
  t.ok(await eventually(() => sim.counters.activeGenerations === 1, 10_000))
  // The body is paused: the rest of the network read that held the third piece was handed on
  // in the same callback (before `seen`), and nothing after it while the consumer waits.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(count, seen, 'no piece while the consumer is full')
  ac.abort()
  await t.rejects(call, { code: 'ABORTED' })
  t.ok(await eventually(() => sim.counters.activeGenerations === 0, 10_000), 'the generation stopped upstream')
  t.equal(sim.counters.cancelled, 1)
  t.ok(await eventually(() => client.poolStats()?.running === 0, 10_000))
})

t.test('a consumer that throws ends the call with its error and closes the upstream socket', async (t) => {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 5, tokenDelayMs: 5, reply: () => 'Wort '.repeat(500) })
  const client = await setup(t, sim)
  let n = 0
  await t.rejects(client.chatPush(req, new AbortController().signal, () => {
    if (++n === 2) throw new AppError('ABORTED', 'The client left', 499)
  }), { code: 'ABORTED' })
  t.ok(await eventually(() => sim.counters.activeGenerations === 0, 10_000))
  t.equal(sim.counters.cancelled, 1)
})
