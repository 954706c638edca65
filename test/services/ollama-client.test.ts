import t, { type Test } from 'tap'
import { OllamaClient } from '../../services/ollama/client.js'
import { OllamaSimulator, type FailureMode } from '../../simulators/ollama-simulator.js'
import { eventually } from '../helper.js'

// Generous, so a busy machine never times out a call meant to succeed; the timeout cases shorten theirs.
const timeouts = { connectMs: 2000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000 }
const quick: Partial<Record<FailureMode, Partial<typeof timeouts>>> = { no_headers: { firstTokenMs: 300 }, stall: { idleMs: 300 }, slow: { totalMs: 400 } }

async function setup (t: Test, overrides: Partial<typeof timeouts> = {}) {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 5, tokenDelayMs: 2 })
  const url = await sim.listen()
  const client = new OllamaClient({ baseUrl: url, connections: 4, timeouts: { ...timeouts, ...overrides } })
  t.teardown(async () => { await client.close(); await sim.close() })
  return { sim, client }
}

const req = { model: 'qwen3:4b', messages: [{ role: 'user' as const, content: 'Prompt:\nein grünes Haus' }] }

t.test('streams pieces whose concatenation is the answer, then the counters', async (t) => {
  const { client } = await setup(t)
  const stream = client.chatStream(req, new AbortController().signal)
  const pieces: string[] = []
  for await (const p of stream) pieces.push(p)
  t.ok(pieces.length > 5, 'several pieces')
  t.match(pieces.join(''), /^Simulierte Antwort \(qwen3:4b\): ein grünes Haus – .*✨/)
  t.equal(stream.stats?.eval_count, pieces.length)
  t.ok((stream.stats?.tokens_per_second ?? 0) > 0)
  t.equal(client.poolStats()?.running, 0, 'no request holds a socket afterwards')
})

t.test('generate streams `response` pieces', async (t) => {
  const { client } = await setup(t)
  let text = ''
  for await (const p of client.generateStream({ model: 'qwen3:4b', prompt: 'Prompt:\nBaum' }, new AbortController().signal)) text += p
  t.match(text, /Baum/)
})

t.test('format: the answer is JSON that fits the schema', async (t) => {
  const { client } = await setup(t)
  const { text } = await client.chat({ ...req, format: { type: 'object', properties: { safe: { type: 'boolean' }, terms: { type: 'array' } } } }, new AbortController().signal)
  t.same(JSON.parse(text), { safe: true, terms: [] })
})

const cases: Array<[FailureMode, string, RegExp?]> = [
  ['http_500', 'UPSTREAM_ERROR', /HTTP 500/],
  ['http_503', 'UPSTREAM_BUSY'],
  ['http_400', 'UPSTREAM_ERROR'],
  ['no_headers', 'UPSTREAM_TIMEOUT', /first token/],
  ['stall', 'UPSTREAM_TIMEOUT', /silence between tokens/],
  ['cut', 'UPSTREAM_CLOSED'],
  ['error_line', 'UPSTREAM_ERROR', /simulated failure mid-stream/],
  ['bad_line', 'UPSTREAM_BAD_RESPONSE'],
  ['no_done', 'UPSTREAM_CLOSED'],
  ['slow', 'UPSTREAM_TIMEOUT', /total call time/]
]
for (const [mode, code, message] of cases) {
  t.test(`failure ${mode} → ${code}, and the socket is given back`, async (t) => {
    const { sim, client } = await setup(t, quick[mode] ?? {})
    sim.set({ failure: mode, tokenDelayMs: mode === 'slow' ? 20 : 2 })
    await t.rejects(client.chat(req, new AbortController().signal), { code, ...(message === undefined ? {} : { message }) })
    t.ok(await eventually(() => client.poolStats()?.running === 0), 'pool holds no busy socket')
    t.ok(await eventually(() => sim.counters.activeGenerations === 0), 'the simulator stopped generating')
  })
}

t.test('a model that is not pulled: MODEL_NOT_FOUND names it and how to pull it', async (t) => {
  const { client } = await setup(t)
  await t.rejects(client.chat({ ...req, model: 'nope:7b' }, new AbortController().signal), { code: 'MODEL_NOT_FOUND', message: /"nope:7b".*ollama pull nope:7b/ })
})

t.test('connection refused → UPSTREAM_UNAVAILABLE', async (t) => {
  const sim = new OllamaSimulator()
  const url = await sim.listen()
  await sim.close()
  const client = new OllamaClient({ baseUrl: url, connections: 1, timeouts })
  t.teardown(() => client.close())
  await t.rejects(client.chat(req, new AbortController().signal), { code: 'UPSTREAM_UNAVAILABLE' })
  await t.rejects(client.version(), { code: 'UPSTREAM_UNAVAILABLE' })
})

t.test('aborting mid-stream closes the upstream socket at once', async (t) => {
  const { sim, client } = await setup(t)
  sim.set({ tokenDelayMs: 50 })
  const ac = new AbortController()
  const stream = client.chatStream(req, ac.signal)
  const it = stream[Symbol.asyncIterator]()
  await it.next()
  t.equal(sim.counters.activeGenerations, 1)
  const closedBefore = sim.counters.closedSockets
  ac.abort()
  await t.rejects(it.next(), { code: 'ABORTED' })
  t.ok(await eventually(() => sim.counters.activeGenerations === 0, 10_000), 'generation stopped upstream')
  t.ok(await eventually(() => sim.counters.closedSockets === closedBefore + 1, 10_000), 'its socket closed')
  t.equal(sim.counters.cancelled, 1)
  t.equal(client.poolStats()?.running, 0)
})

t.test('version and tags', async (t) => {
  const { client } = await setup(t)
  t.equal(await client.version(), '0.0.0-simulated')
  t.ok((await client.tags()).some((m) => m.name === 'qwen3:4b'))
})
