import t from 'tap'
import { ADMIN, eventually, openSse, startServer } from '../helper.js'
import type { FailureMode } from '../../simulators/ollama-simulator.js'

const modes: Array<[FailureMode, string]> = [
  ['http_500', 'UPSTREAM_ERROR'],
  ['http_503', 'UPSTREAM_BUSY'],
  ['no_headers', 'UPSTREAM_TIMEOUT'],
  ['stall', 'UPSTREAM_TIMEOUT'],
  ['cut', 'UPSTREAM_CLOSED'],
  ['error_line', 'UPSTREAM_ERROR'],
  ['bad_line', 'UPSTREAM_BAD_RESPONSE'],
  ['no_done', 'UPSTREAM_CLOSED'],
  ['slow', 'UPSTREAM_TIMEOUT']
]

t.test('each upstream failure during Stage 2 ends the run with an error event, frees the slot, and the next run is fine', async (t) => {
  // Short timeouts only where a timeout is the expected end, and there no call that must succeed
  // (safety level off skips the Stage 1 call): a busy machine must not time out the safety call.
  const quick = await startServer({
    QUEUE_MAX_CONCURRENT: '1',
    OLLAMA_FIRST_TOKEN_TIMEOUT_MS: '300',
    OLLAMA_IDLE_TIMEOUT_MS: '300',
    OLLAMA_TOTAL_TIMEOUT_MS: '1500'
  }, { firstTokenDelayMs: 5, tokenDelayMs: 5 })
  t.teardown(quick.close)
  const s = await startServer({ QUEUE_MAX_CONCURRENT: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 5 })
  t.teardown(s.close)
  for (const [mode, code] of modes) {
    const server = code === 'UPSTREAM_TIMEOUT' ? quick : s
    // Only the interception call fails; the safety call (it has a `format`) succeeds.
    server.sim.set({ failure: (req) => req.format === undefined ? mode : 'none', tokenDelayMs: mode === 'slow' ? 50 : 5 })
    const c = openSse(server.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: server === quick ? 'off' : 'kids', user_language: 'en' })
    await c.done
    const last = c.events.at(-1)
    t.equal(last?.event, 'error', `${mode}: ends with an error event`)
    t.equal(last?.data.code, code, `${mode}: code ${code}`)
    t.type(last?.data.message, 'string')
    t.equal(last?.data.run_id, c.events[0]?.data.run_id)
    t.ok(await eventually(() => server.app.queue.active === 0), `${mode}: slot freed`)
    t.ok(await eventually(() => server.sim.counters.activeGenerations === 0), `${mode}: nothing left upstream`)
  }
  s.sim.set({ failure: 'none', tokenDelayMs: 5 })
  const ok = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
  await ok.done
  t.equal(ok.events.at(-1)?.event, 'complete', 'the next run is fine')
})

t.test('a model that is not pulled: the error names it and how to pull it', async (t) => {
  const s = await startServer({ STAGE2_INTERCEPTION_MODEL: 'llava:34b' })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off', user_language: 'en' })
  await c.done
  t.match(c.events.at(-1)?.data, { code: 'MODEL_NOT_FOUND', message: /A required AI model is not installed.*ollama pull llava:34b/ })
  const ready = await fetch(`${s.url}/ready`, { headers: ADMIN })
  t.equal(ready.status, 503)
  t.match(await ready.json(), { status: 'not_ready', reasons: [/llava:34b.*ollama pull llava:34b/] })
})

t.test('Ollama down: the server starts, /ready says why, runs fail clearly, and it recovers by itself', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const simUrl = new URL(s.sim.url)
  await s.sim.close()
  const down = await fetch(`${s.url}/ready`, { headers: ADMIN })
  t.equal(down.status, 503)
  t.match(await down.json(), { status: 'not_ready', ollama: { reachable: false }, reasons: [/does not answer/] })
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
  await c.done
  t.match(c.events.at(-1)?.data, { code: 'SAFETY_CHECK_FAILED' }, 'kids: fail-closed when the safety model cannot be reached')
  const adult = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'adult' })
  await adult.done
  t.match(adult.events.at(-1)?.data, { code: 'UPSTREAM_UNAVAILABLE' })

  const { OllamaSimulator } = await import('../../simulators/ollama-simulator.js')
  const back = new OllamaSimulator()
  await back.listen(Number(simUrl.port))
  t.teardown(() => back.close())
  t.ok(await eventually(async () => (await fetch(`${s.url}/ready`)).status === 200, 8000, 500), '/ready recovers')
  const again = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
  await again.done
  t.equal(again.events.at(-1)?.event, 'complete', 'runs work again')
})
