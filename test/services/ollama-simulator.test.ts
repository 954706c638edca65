import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { parse } from 'acorn'
import { OllamaSimulator, type SimulatorOptions } from '../../simulators/ollama-simulator.js'
import { checkSketch } from '../../services/safety/code-check.js'

async function setup (t: Test, options: Partial<SimulatorOptions>) {
  const sim = new OllamaSimulator({ firstTokenDelayMs: 1, tokenDelayMs: 0, splitWrites: false, thinkingText: () => 'one two three four five six', ...options })
  await sim.listen()
  t.teardown(() => sim.close())
  return sim
}

interface Line { message?: { content: string, thinking?: string }, response?: string, thinking?: string, done: boolean, done_reason?: string }

async function lines (sim: OllamaSimulator, body: Record<string, unknown>, path = '/api/chat'): Promise<{ status: number, lines: Line[] }> {
  const res = await fetch(sim.url + path, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'Prompt:\nein Haus' }], ...body }) })
  const text = await res.text()
  return { status: res.status, lines: res.status === 200 ? text.trim().split('\n').map((l) => JSON.parse(l) as Line) : [] }
}

const kinds = (ls: Line[]) => ls.filter((l) => !l.done).map((l) => (l.message?.thinking ?? l.thinking) !== undefined ? 't' : 'c').join('')
const content = (ls: Line[]) => ls.map((l) => l.message?.content ?? l.response ?? '').join('')
const SCHEMA = { type: 'object', properties: { safe: { type: 'boolean' }, explanation: { type: 'string' } } }

t.test('field mode (0.12.4+): a thinking model thinks unless think is false, reasoning in its own field', async (t) => {
  const sim = await setup(t, { thinking: 'field' })
  const unset = await lines(sim, { model: 'qwen3:4b' })
  t.match(kinds(unset.lines), /^t{6}c+$/, 'thinking lines, then content lines')
  t.equal(unset.lines.find((l) => l.message?.thinking !== undefined)?.message?.content, '', 'content stays empty while it thinks')
  t.match(kinds((await lines(sim, { model: 'qwen3:4b', think: false })).lines), /^c+$/, 'think: false: no reasoning')
  t.match(kinds((await lines(sim, { model: 'llama3.2:1b' })).lines), /^c+$/, 'a model without the capability does not think')
  t.equal((await lines(sim, { model: 'llama3.2:1b', think: true })).status, 400, 'and refuses think: true')
  const gen = await lines(sim, { model: 'qwen3:4b', prompt: 'Prompt:\nBaum' }, '/api/generate')
  t.match(kinds(gen.lines), /^t{6}c+$/, '/api/generate has `thinking` beside `response`')
})

t.test('tags mode (0.9-0.12.3): think unset leaves <think> inside content; true uses the field; false none', async (t) => {
  const sim = await setup(t, { thinking: 'tags' })
  const unset = await lines(sim, { model: 'qwen3:4b' })
  t.match(kinds(unset.lines), /^c+$/)
  t.match(content(unset.lines), /^<think>one two three four five six<\/think>\n\nSimulierte/)
  t.match(kinds((await lines(sim, { model: 'qwen3:4b', think: true })).lines), /^t{6}c+$/)
  t.notMatch(content((await lines(sim, { model: 'qwen3:4b', think: false })).lines), /think/)
})

t.test('num_predict counts thinking and content; with format each pass has its own budget', async (t) => {
  const sim = await setup(t, { thinking: 'field', numPredict: true })
  const thinkingAll = await lines(sim, { model: 'qwen3:4b', options: { num_predict: 4 } })
  t.equal(kinds(thinkingAll.lines), 'tttt', 'the budget ran out while thinking')
  t.equal(content(thinkingAll.lines), '')
  t.equal(thinkingAll.lines.at(-1)?.done_reason, 'length')
  const shared = await lines(sim, { model: 'qwen3:4b', options: { num_predict: 10 } })
  t.equal(kinds(shared.lines), 'ttttttcccc', 'without format one pass shares the budget')
  t.equal(shared.lines.at(-1)?.done_reason, 'length')
  const structured = await lines(sim, { model: 'qwen3:4b', format: SCHEMA, options: { num_predict: 10 } })
  t.match(kinds(structured.lines), /^t{6}c{1,10}$/, 'a thinking pass, then a structured pass under its own budget')
  t.same(JSON.parse(content(structured.lines)), { safe: true, explanation: 'harmless in context' })
  t.equal(structured.lines.at(-1)?.done_reason, 'stop')
  const off = await setup(t, { thinking: 'field', numPredict: false })
  t.equal((await lines(off, { model: 'qwen3:4b', options: { num_predict: 4 } })).lines.at(-1)?.done_reason, 'stop', 'switched off: the budget is ignored')
})

t.test('lateEndMs: the chunked terminator comes in its own write, after the done line', async (t) => {
  const sim = await setup(t, { lateEndMs: 200 })
  const { port } = new URL(sim.url)
  const socket = connect(Number(port), '127.0.0.1')
  const body = JSON.stringify({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] })
  socket.write(`POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  let received = ''
  let atDone: string | undefined
  await new Promise<void>((resolve) => {
    socket.on('data', (d) => {
      received += String(d)
      if (atDone === undefined && received.includes('"done":true')) atDone = received
      if (received.endsWith('0\r\n\r\n')) resolve()
    })
  })
  socket.destroy()
  t.notOk(atDone?.endsWith('0\r\n\r\n'), 'the done line arrived without the terminator')
  t.ok(received.endsWith('\r\n0\r\n\r\n'), 'the terminator came later')
})

t.test('a request about p5.js gets a small runnable sketch', async (t) => {
  const sim = await setup(t, {})
  const { lines: ls } = await lines(sim, { model: 'llama3.2:1b', messages: [{ role: 'system', content: 'You write p5.js sketches.' }, { role: 'user', content: 'Prompt:\nein Schwarm Fische' }] })
  const code = content(ls)
  t.match(code, /function setup \(\)[\s\S]*createCanvas\([\s\S]*function draw \(\)/)
  t.doesNotThrow(() => parse(code, { ecmaVersion: 'latest' }), 'it parses as JavaScript')
  t.same(checkSketch(code), [], 'nothing the Stage 3 sketch check refuses')
  t.match(content((await lines(sim, { model: 'llama3.2:1b' })).lines), /^Simulierte Antwort/, 'other requests as before')
})
