import t, { type Test } from 'tap'
import { OllamaClient, type CallOutcome } from '../../services/ollama/client.js'
import { OllamaSimulator } from '../../simulators/ollama-simulator.js'
import { eventually } from '../helper.js'

const timeouts = { connectMs: 2000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 60_000 }
const req = { model: 'qwen3:4b', messages: [{ role: 'user' as const, content: 'Prompt:\nein Haus' }] }
const signal = () => new AbortController().signal

/** A client whose first outcome listener throws; the second records what it was told. */
async function setup (t: Test) {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 1, tokenDelayMs: 20 })
  const client = new OllamaClient({ baseUrl: await sim.listen(), connections: 2, timeouts })
  t.teardown(async () => { await client.close(); await sim.close() })
  const seen: CallOutcome[] = []
  client.onOutcome(() => { throw new Error('a broken metrics listener') })
  client.onOutcome((o) => seen.push(o))
  return { sim, client, seen }
}

t.test('a throwing listener does not replace the answer of a call that succeeded', async (t) => {
  const { client, seen } = await setup(t)
  const { text } = await client.chat(req, signal())
  t.match(text, /ein Haus/)
  t.equal(seen[0]?.outcome, 'ok', 'the listeners after it still ran')
})

t.test('a throwing listener does not leak the body of a stream the caller left early', async (t) => {
  const { sim, client, seen } = await setup(t)
  const it = client.chatStream(req, signal())[Symbol.asyncIterator]()
  t.type((await it.next()).value, 'string')
  await it.return?.() // the caller leaves after the first piece, as a for-await break does
  t.ok(await eventually(() => client.poolStats()?.running === 0, 10_000), 'no busy socket in the pool')
  t.ok(await eventually(() => sim.counters.activeGenerations === 0, 10_000), 'the generation stopped upstream')
  t.equal(sim.counters.cancelled, 1)
  t.equal(seen.length, 1)
})

t.test('a throwing listener does not mask the error of a failed call', async (t) => {
  const { sim, client } = await setup(t)
  sim.set({ failure: 'cut', tokenDelayMs: 1 })
  await t.rejects(client.chat(req, signal()), { code: 'UPSTREAM_CLOSED' })
  t.ok(await eventually(() => client.poolStats()?.running === 0, 10_000))
})
