import { once } from 'node:events'
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { OllamaClient } from '../../services/ollama/client.js'
import { parseNdjson } from '../../services/ollama/ndjson.js'
import { OllamaSimulator, type SimulatorOptions } from '../../simulators/ollama-simulator.js'
import { eventually } from '../helper.js'

const timeouts = { connectMs: 2000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 60_000 }

async function setup (t: Test, options: Partial<SimulatorOptions>, drainGraceMs?: number) {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 1, tokenDelayMs: 0, ...options })
  const url = await sim.listen()
  const client = new OllamaClient({ baseUrl: url, connections: 4, timeouts, ...(drainGraceMs === undefined ? {} : { drainGraceMs }) })
  t.teardown(async () => { await client.close(); await sim.close() })
  return { sim, client }
}

const req = { model: 'qwen3:4b', messages: [{ role: 'user' as const, content: 'Prompt:\nein Haus' }] }
const signal = () => new AbortController().signal

t.test('20 sequential calls against a server that ends each response late reuse one or two sockets', async (t) => {
  // Go's net/http writes the chunked terminator after the done line, in a write of its own.
  const { sim, client } = await setup(t, { lateEndMs: 30 })
  for (let i = 0; i < 20; i++) {
    const { text } = await client.chat(req, signal())
    if (!text.includes('ein Haus')) t.fail(`call ${i} answered ${text}`)
  }
  for (let i = 0; i < 5; i++) {
    for await (const p of client.chatStream(req, signal())) t.type(p, 'string')
  }
  t.equal(sim.counters.completed, 25, 'every generation ran to its end')
  t.ok(sim.counters.connections <= 2, `${sim.counters.connections} upstream TCP connections for 25 calls`)
})

t.test('control: a reader that stops at the done line, as the client once did, opens a socket per call here', async (t) => {
  // Proves the late terminator bites: without it the count above would hold for any client.
  const { sim } = await setup(t, { lateEndMs: 200 })
  const pool = new Pool(sim.url, { connections: 4 })
  t.teardown(() => pool.destroy())
  for (let i = 0; i < 10; i++) {
    const res = await pool.request({ path: '/api/chat', method: 'POST', body: JSON.stringify({ ...req, stream: true }) })
    for await (const line of parseNdjson(res.body)) if ((line as { done?: boolean }).done === true) break
  }
  t.ok(sim.counters.connections > 2, `${sim.counters.connections} connections for 10 calls`)
})

t.test('a response that never ends after done: the call still returns, the body is destroyed after the grace', async (t) => {
  const { sim, client } = await setup(t, { lateEndMs: 600_000 }, 100)
  const { text, stats } = await client.chat(req, signal())
  t.match(text, /ein Haus/)
  t.equal(stats?.done_reason, 'stop')
  t.ok(await eventually(() => sim.counters.closedSockets === 1 && sim.counters.activeGenerations === 0, 10_000), 'the half-ended socket was closed, not left in the pool')
  t.equal(client.poolStats()?.running, 0)
})

t.test('an abort while waiting for the end destroys the body at once', async (t) => {
  // A grace of ten minutes: only the abort can end this wait within the test's time.
  const { sim, client } = await setup(t, { lateEndMs: 600_000 }, 600_000)
  const ac = new AbortController()
  const doneLine = once(sim.events, 'done')
  const consumed = (async () => { for await (const p of client.chatStream(req, ac.signal)) t.type(p, 'string') })()
  await doneLine
  ac.abort()
  // Done (the client was draining) or ABORTED (it had not read the done line yet): either way at once.
  const ended = await Promise.race([
    consumed.then(() => 'done', (err: { code?: string }) => err.code),
    new Promise((resolve) => { setTimeout(resolve, 10_000, 'still waiting').unref() })
  ])
  t.ok(ended === 'done' || ended === 'ABORTED', `the call ended (${String(ended)})`)
  t.ok(await eventually(() => sim.counters.closedSockets === 1 && sim.counters.activeGenerations === 0, 10_000), 'its socket closed')
  t.equal(client.poolStats()?.running, 0)
})
