import t, { type Test } from 'tap'
import { OllamaClient, type CallOutcome } from '../../services/ollama/client.js'
import { OllamaSimulator, type SimRequest, type SimulatorOptions } from '../../simulators/ollama-simulator.js'
import { eventually } from '../helper.js'

const timeouts = { connectMs: 2000, firstTokenMs: 10_000, idleMs: 10_000, totalMs: 30_000 }

async function setup (t: Test, options: Partial<SimulatorOptions>) {
  const seen: SimRequest[] = []
  const sim = new OllamaSimulator({
    firstTokenDelayMs: 1,
    tokenDelayMs: 0,
    failure: (req) => { seen.push(req); return 'none' },
    ...options
  })
  const url = await sim.listen()
  const client = new OllamaClient({ baseUrl: url, connections: 2, timeouts })
  const outcomes: CallOutcome[] = []
  client.onOutcome((o) => outcomes.push(o))
  t.teardown(async () => { await client.close(); await sim.close() })
  return { sim, client, seen, outcomes }
}

const user = (content: string) => [{ role: 'user' as const, content }]
const REASONING = 'Okay, let me weigh this carefully before I answer anything at all here.'
const SAFETY = { type: 'object', properties: { safe: { type: 'boolean' }, terms: { type: 'array' } } }
const signal = () => new AbortController().signal

t.test('every call sends think: false unless the caller asks otherwise', async (t) => {
  const { client, seen } = await setup(t, { thinking: 'field' })
  await client.chat({ model: 'qwen3:4b', messages: user('Prompt:\nein Haus') }, signal())
  for await (const p of client.generateStream({ model: 'qwen3:4b', prompt: 'Prompt:\nein Baum' }, signal())) t.type(p, 'string')
  await client.chat({ model: 'qwen3:4b', messages: user('Prompt:\nein Boot'), think: true }, signal())
  t.same(seen.map((r) => r.body.think), [false, false, true])
})

t.test('Ollama 0.12.4+: a safety check on a thinking model within a small budget gets its verdict', async (t) => {
  // The Stage 1 failure: unset `think` lets qwen3 spend num_predict on reasoning, the answer is empty.
  const { client } = await setup(t, { thinking: 'field', numPredict: true, thinkingText: () => REASONING.repeat(4) })
  const { text, stats } = await client.chat({ model: 'qwen3:4b', messages: user('Text to judge: ein Haus'), format: SAFETY, options: { num_predict: 20 } }, signal())
  t.same(JSON.parse(text), { safe: true, terms: [] })
  t.equal(stats?.done_reason, 'stop')
})

t.test('think: true streams only the answer; reasoning is neither shown nor the first token', async (t) => {
  const thinkingTokens = 30
  const { client, sim, outcomes } = await setup(t, {
    thinking: 'field',
    tokenDelayMs: 20,
    thinkingText: () => Array.from({ length: thinkingTokens }, (_, i) => `w${i}`).join(' ')
  })
  const stream = client.chatStream({ model: 'qwen3:4b', messages: user('Prompt:\nein grünes Haus'), think: true }, signal())
  const pieces: string[] = []
  for await (const p of stream) pieces.push(p)
  t.match(pieces[0], /^Simul/, 'the first piece the child sees is the answer')
  t.notMatch(pieces.join(''), /w\d+/, 'no reasoning in the answer')
  t.ok(await eventually(() => sim.counters.completed === 1), 'the generation ran to its end')
  // The simulator waits tokenDelayMs between lines: the answer cannot start before the reasoning ends.
  const ttft = outcomes[0]?.ttftMs ?? 0
  t.ok(ttft >= (thinkingTokens - 1) * 20 * 0.8, `ttft ${Math.round(ttft)} ms counts from the first answer piece, after the reasoning`)
})

t.test('/api/generate: the `thinking` field is not passed on either', async (t) => {
  const { client } = await setup(t, { thinking: 'field', thinkingText: () => REASONING })
  let text = ''
  for await (const p of client.generateStream({ model: 'qwen3:4b', prompt: 'Prompt:\nBaum', think: true }, signal())) text += p
  t.match(text, /^Simulierte Antwort.*Baum/)
  t.notMatch(text, /weigh this/)
})

t.test('a <think> block inside the content (Ollama that ignores `think`) is stripped, also when streamed', async (t) => {
  const answer = 'A green house under grey skies ✨'
  const { client } = await setup(t, { reply: () => `<think>\n${REASONING}\n</think>\n\n${answer}` })
  const pieces: string[] = []
  for await (const p of client.chatStream({ model: 'qwen3:4b', messages: user('Translate this') }, signal())) pieces.push(p)
  t.equal(pieces.join(''), answer)
  t.notOk(pieces.some((p) => /think|weigh/.test(p)), 'no piece of reasoning was streamed')
  const { text } = await client.chat({ model: 'qwen3:4b', messages: user('Translate this') }, signal())
  t.equal(text, answer, 'the whole answer too')
})

t.test('old Ollama (0.9-0.12.3) mode with think unset leaves tags in the content: the client strips them', async (t) => {
  // Our client always sends `think`; this is what the safety net meets when a proxy drops the field.
  const { sim } = await setup(t, { thinking: 'tags', thinkingText: () => REASONING })
  const res = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'qwen3:4b', messages: user('Prompt:\nein Haus'), stream: false }) })
  const body = await res.json() as { message: { content: string } }
  t.match(body.message.content, /^<think>.*weigh.*<\/think>\n\nSimulierte/s, 'the simulator puts the reasoning inside content')
  const { stripThink } = await import('../../services/ollama/think.js')
  t.match(stripThink(body.message.content), /^Simulierte/)
})

t.test('an empty answer cut by num_predict is UPSTREAM_TRUNCATED naming model and budget', async (t) => {
  const { client, outcomes } = await setup(t, { thinking: 'field', numPredict: true, thinkingText: () => REASONING.repeat(4) })
  await t.rejects(client.chat({ model: 'qwen3:4b', messages: user('Prompt:\nein Haus'), think: true, options: { num_predict: 12 } }, signal()),
    { code: 'UPSTREAM_TRUNCATED', statusCode: 502, message: /"qwen3:4b".*num_predict 12/, details: { model: 'qwen3:4b', num_predict: 12 } })
  t.equal(outcomes[0]?.outcome, 'UPSTREAM_TRUNCATED')
  t.equal(outcomes[0]?.ttftMs, undefined, 'no answer token ever came')
  t.equal(client.poolStats()?.running, 0)
})

t.test('the same when the budget ends inside a <think> block in the content', async (t) => {
  const { client } = await setup(t, { numPredict: true, reply: () => `<think>${REASONING.repeat(4)}</think>answer` })
  await t.rejects(client.chat({ model: 'qwen3:4b', messages: user('x'), options: { num_predict: 8 } }, signal()), { code: 'UPSTREAM_TRUNCATED', message: /num_predict 8/ })
})

t.test('a partial answer cut by the budget is returned as it is', async (t) => {
  const { client } = await setup(t, { numPredict: true })
  const { text, stats } = await client.chat({ model: 'qwen3:4b', messages: user('Prompt:\nein Haus'), options: { num_predict: 3 } }, signal())
  t.ok(text.length > 0)
  t.equal(stats?.done_reason, 'length')
})
